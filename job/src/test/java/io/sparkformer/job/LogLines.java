package io.sparkformer.job;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects what the loggers under one name (a class or a package) log at INFO and above while it is open. */
public final class LogLines extends AbstractAppender implements AutoCloseable {
    private final Logger logger;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<Throwable> thrown = new CopyOnWriteArrayList<>();

    public LogLines(String loggerName) {
        super("lines-" + loggerName, null, null, true, Property.EMPTY_ARRAY);
        logger = (Logger) LogManager.getLogger(loggerName);
        start();
        logger.addAppender(this);
    }

    @Override
    public void append(LogEvent event) {
        if (event.getLevel().isMoreSpecificThan(Level.INFO)) {
            lines.add(event.getLevel() + " " + event.getMessage().getFormattedMessage());
            if (event.getThrown() != null) {
                thrown.add(event.getThrown());
            }
        }
    }

    /** Each line as "LEVEL message". */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** The exceptions logged with those lines (their stack traces go to the log). */
    public List<Throwable> thrown() {
        return List.copyOf(thrown);
    }

    @Override
    public void close() {
        logger.removeAppender(this);
        stop();
    }
}
