package io.sparkformer.testing;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects the WARN messages one class logs while it is open. */
public final class LogCapture extends AbstractAppender implements AutoCloseable {
    private final Logger logger;
    private final List<String> warnings = new CopyOnWriteArrayList<>();

    public LogCapture(Class<?> source) {
        super("capture-" + source.getSimpleName(), null, null, true, Property.EMPTY_ARRAY);
        logger = (Logger) LogManager.getLogger(source);
        start();
        logger.addAppender(this);
    }

    @Override
    public void append(LogEvent event) {
        if (event.getLevel() == Level.WARN) {
            warnings.add(event.getMessage().getFormattedMessage());
        }
    }

    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    @Override
    public void close() {
        logger.removeAppender(this);
        stop();
    }
}
