package io.sparkformer.job.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The progress line: {@code step 115/2000 | loss 2.3456 | val 2.4012 | 5,900 tok/s | elapsed 1m30s | ETA 20m00s}.
 * Logged at every evaluation and, from a driver timer thread, whenever {@code train.progressSeconds}
 * have passed without a line, also in the middle of a round: the step shown there is the round's
 * first step plus the steps the executors have reported ({@link RoundProgress}). Losses are rounded
 * to 4 decimals, the rate to whole tokens.
 */
public final class Progress implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Progress.class);
    private final long steps;
    private final double tokensPerStep;
    private final long sessionStartStep;
    private final long elapsedBefore;
    private final long everyNanos;
    private final LongSupplier inRound;
    private final Consumer<String> out;
    private final long sessionStart = System.nanoTime();
    private final ScheduledExecutorService timer;
    private long step;
    private int roundSteps;
    private long roundStart;
    private double loss = Double.NaN;
    private double rate = Double.NaN;
    private Double valLoss;
    private String suffix = "";
    private long lastLine = System.nanoTime();

    /**
     * Progress of a session that starts at {@code startStep} of {@code steps} after {@code elapsedBeforeMillis}
     * of earlier sessions; {@code inRound} tells the steps done so far in the running round; a line
     * at least every {@code everySeconds} (0: at evaluations only).
     */
    public Progress(long steps, long startStep, double tokensPerStep, long elapsedBeforeMillis, int everySeconds,
                    LongSupplier inRound) {
        this(steps, startStep, tokensPerStep, elapsedBeforeMillis, everySeconds, inRound, LOG::info);
    }

    /** As above, the lines going to {@code out} instead of the log. */
    Progress(long steps, long startStep, double tokensPerStep, long elapsedBeforeMillis, int everySeconds,
             LongSupplier inRound, Consumer<String> out) {
        this.out = out;
        this.steps = steps;
        this.tokensPerStep = tokensPerStep;
        this.sessionStartStep = startStep;
        this.step = startStep;
        this.elapsedBefore = elapsedBeforeMillis;
        this.everyNanos = TimeUnit.SECONDS.toNanos(everySeconds);
        this.inRound = inRound;
        if (everySeconds > 0) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "sparkformer-progress");
                t.setDaemon(true);
                return t;
            });
            long period = Math.max(100, Math.min(1000, everySeconds * 250L));   // well inside the interval
            timer.scheduleAtFixedRate(this::tick, period, period, TimeUnit.MILLISECONDS);
        } else {
            timer = null;
        }
    }

    /** The last validation loss of the run being resumed (null if none), shown until this session evaluates. */
    public synchronized void resumedWith(Double valLoss) {
        this.valLoss = valLoss;
    }

    /** A round of {@code n} steps after {@code firstStep} begins. */
    public synchronized void roundStarted(long firstStep, int n) {
        step = firstStep;
        roundSteps = n;
        roundStart = System.nanoTime();
    }

    /** The round ended at {@code step} with the workers' mean {@code loss}, at {@code tokensPerSecond}. */
    public synchronized void roundEnded(long step, double loss, double tokensPerSecond) {
        this.step = step;
        this.roundSteps = 0;
        this.loss = loss;
        this.rate = tokensPerSecond;
    }

    /** An evaluation ended: logs the line now, with {@code familySuffix} (e.g. accuracy) after it. */
    public synchronized void evaluated(Double valLoss, String familySuffix) {
        this.valLoss = valLoss;
        this.suffix = familySuffix;
        log();
    }

    /** The timer's check: a line when none was logged for {@code train.progressSeconds}. */
    synchronized void tick() {
        if (System.nanoTime() - lastLine >= everyNanos) {
            log();
        }
    }

    private void log() {
        out.accept(lineNow() + suffix);
        lastLine = System.nanoTime();
    }

    /** The line as of now. */
    synchronized String lineNow() {
        long now = System.nanoTime();
        long done = roundSteps > 0 ? Math.min(roundSteps, Math.max(0, inRound.getAsLong())) : 0;
        long current = step + done;
        double shownRate = rate;
        if (done > 0) {
            shownRate = done * tokensPerStep / Math.max((now - roundStart) / 1e9, 1e-9);
        }
        double sessionSeconds = (now - sessionStart) / 1e9;
        double sessionRate = (current - sessionStartStep) * tokensPerStep / Math.max(sessionSeconds, 1e-9);
        Duration eta = sessionRate > 0 ? Duration.ofMillis((long) ((steps - current) * tokensPerStep / sessionRate
                * 1000)) : null;
        return line(current, steps, loss, valLoss, shownRate,
                Duration.ofMillis(elapsedBefore + (now - sessionStart) / 1_000_000), eta);
    }

    /** One line; NaN or null values show as "-". */
    public static String line(long step, long steps, double trainLoss, Double valLoss, double tokensPerSecond,
                              Duration elapsed, Duration eta) {
        return String.format(Locale.ROOT, "step %d/%d | loss %s | val %s | %s tok/s | elapsed %s | ETA %s",
                step, steps, loss(trainLoss), valLoss == null ? "-" : loss(valLoss),
                Double.isFinite(tokensPerSecond) ? String.format(Locale.ROOT, "%,.0f", tokensPerSecond) : "-",
                format(elapsed), eta == null ? "-" : format(eta));
    }

    /** A loss for people: 4 decimals ({@code "2.8812"}), "-" when there is none yet. */
    public static String loss(Double value) {
        return value == null || value.isNaN() ? "-" : String.format(Locale.ROOT, "%.4f", value);
    }

    public static String format(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, (s % 3600) / 60, s % 60);
        }
        if (s >= 60) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return s + "s";
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
