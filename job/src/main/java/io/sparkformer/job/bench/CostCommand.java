package io.sparkformer.job.bench;

import io.sparkformer.config.ConfigException;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.job.cli.ConfigOptions;
import io.sparkformer.job.cli.ExitCodes;
import io.sparkformer.model.MemoryEstimate;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code cost}: the predicted round time and scaling efficiency of a config on E executors
 * ({@link RoundCostModel}), from rates measured on this project's 2-core machine (the defaults, see
 * {@link #MEASURED_FLOPS} and {@link #MEASURED_NS_PER_BYTE}) and an assumed network bandwidth.
 */
@Command(name = "cost", mixinStandardHelpOptions = true,
        description = "Predict the round time and scaling efficiency of parameter averaging on N executors.")
public final class CostCommand implements Callable<Integer> {
    /**
     * Executor FLOP/s on a training step, measured 2026-12-02 with {@code STEPS=4 AVERAGING=2
     * bench/big-round.sh 12 768 128} (README "Big models"): a 12x768 GPT of 85.2 M parameters,
     * character vocabulary, batch 1 x context 128 (67.2 GFLOP a step by {@link FlopCount}), one core and
     * one ND4J thread per executor; an executor's step 3 to step 4 took 3.38 and 3.30 s.
     */
    static final double MEASURED_FLOPS = 67.17e9 / 3.34;
    /**
     * From the same run: round 2 (2 steps) took 27.52 s, 20.84 s of it not compute, over the 7 x 975 MiB
     * of state the model handles on the critical path of a round on 2 executors.
     */
    static final double MEASURED_NS_PER_BYTE = 20.84 / (7 * 12 * 85_204_224.0) * 1e9;

    @Mixin
    ConfigOptions config;

    @Option(names = "--executors", split = ",", defaultValue = "8,16,64", description = "Executor counts (default 8,16,64)")
    List<Integer> executors;

    @Option(names = "--network-gbps", defaultValue = "10", description = "Assumed NIC bandwidth per node, Gbit/s (default 10)")
    double networkGbps;

    @Option(names = "--executor-gflops", description = "Executor GFLOP/s on a training step (default: measured)")
    Double executorGflops;

    @Option(names = "--ns-per-byte", description = "CPU ns per handled byte of state (default: measured)")
    Double nsPerByte;

    @Option(names = "--vocab", description = "Vocabulary size (default: tokenizer.vocabSize)")
    Integer vocab;

    @Override
    public Integer call() {
        checkOptions();
        SparkformerConfig c = config.load(new Configuration());
        int v = vocab != null ? vocab : c.tokenizer().vocabSize();
        long params = MemoryEstimate.of(c, v).params();
        long state = 3 * params * MemoryEstimate.FLOAT_BYTES;
        double flopsPerStep = FlopCount.perToken(c.model(), v) * c.train().batchSize() * c.model().contextLength();
        double gflops = executorGflops != null ? executorGflops : MEASURED_FLOPS / 1e9;
        double ns = nsPerByte != null ? nsPerByte : MEASURED_NS_PER_BYTE;
        RoundCostModel model = new RoundCostModel(gflops * 1e9, ns * 1e-9, networkGbps * 1e9 / 8);
        int steps = c.spark().averagingFrequency();
        System.out.printf(Locale.ROOT, "%s: %.1f M parameters, %s of state (parameters and Adam moments) per replica;"
                        + " a round is %d step(s) of %d x %d tokens per executor, %.2f TFLOP a step%n", config.origin(),
                params / 1e6, MemoryEstimate.human(state), steps, c.train().batchSize(), c.model().contextLength(),
                flopsPerStep / 1e12);
        System.out.printf(Locale.ROOT, "rates: executor %.1f GFLOP/s%s, %.2f ns per handled byte%s, network %.1f Gbit/s"
                        + " per node (assumed)%n", gflops, executorGflops == null ? " (measured)" : " (given)", ns,
                nsPerByte == null ? " (measured)" : " (given)", networkGbps);
        System.out.println("| executors | compute | broadcast | tree aggregation | driver averaging | round | efficiency |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int e : executors) {
            RoundCostModel.Round r = model.round(state, flopsPerStep, steps, e);
            System.out.printf(Locale.ROOT, "| %d | %.1f s | %.1f s | %.1f s | %.1f s | %.1f s | %.1f%% |%n", e, r.compute(),
                    r.broadcast(), r.aggregation(), r.averaging(), r.total(), 100 * r.efficiency());
        }
        return ExitCodes.OK;
    }

    /** Before the config is read: RoundCostModel and TreeAggregation refuse these as broken invariants. */
    private void checkOptions() {
        for (int e : executors) {
            if (e <= 0) {
                throw new ConfigException("--executors must all be > 0, got " + e);
            }
        }
        if (!(networkGbps > 0) || Double.isInfinite(networkGbps)) {
            throw new ConfigException("--network-gbps must be finite and > 0, got " + networkGbps);
        }
        if (executorGflops != null && (!(executorGflops > 0) || executorGflops.isInfinite())) {
            throw new ConfigException("--executor-gflops must be finite and > 0, got " + executorGflops);
        }
        if (nsPerByte != null && (!(nsPerByte >= 0) || nsPerByte.isInfinite())) {
            throw new ConfigException("--ns-per-byte must be finite and >= 0, got " + nsPerByte);
        }
    }
}
