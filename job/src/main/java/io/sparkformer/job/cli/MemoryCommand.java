package io.sparkformer.job.cli;

import io.sparkformer.InputException;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.job.bench.OffHeapPeak;
import io.sparkformer.job.train.JvmMemory;
import io.sparkformer.model.MemoryEstimate;
import io.sparkformer.model.MemoryEstimate.Task;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code memory}: the heap and javacpp limits a training JVM of this config needs, from the model's
 * off-heap estimate ({@link JvmMemory}); {@code submit/sparkformer} sizes its JVM with it, and with a
 * cluster master the submit scripts their executors' and driver's memory settings. With
 * {@code --measure} it trains one replica a few steps instead and prints the estimate next to the
 * measured peak ({@link OffHeapPeak}, bench/memory-estimate.sh).
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
        description = {"Print the heap, ND4J off-heap and physical-memory limits (MiB) a training JVM of this config needs:",
                "local masters: HEAP OFFHEAP MAXPHYSICAL; cluster masters: spark.executor.*/spark.driver.* memory settings."})
public final class MemoryCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Option(names = "--master", defaultValue = "${sys:spark.master:-local[*]}",
            description = "Spark master (default: spark.master, which submit/sparkformer sets from its --master; else local[*]); local[N] trains up to N replicas in this JVM")
    String master;

    @Option(names = "--executor-replicas", defaultValue = "1",
            description = "Cluster masters: replicas one executor trains at once (spark.executor.cores / spark.task.cpus)")
    int executorReplicas;

    @Option(names = "--task", defaultValue = "train", description = "train (the config's family) or finetune (a BERT classifier)")
    String task;

    @Option(names = "--architecture", paramLabel = "FILE",
            description = "finetune: the pretrained model's config, whose model and tokenizer sections fine-tuning takes over")
    String architecture;

    @Option(names = "--measure", description = "Train one replica on random batches and print the estimate next to the measured peak")
    boolean measure;

    @Option(names = "--vocab", defaultValue = "0", description = "Vocabulary size (default: tokenizer.vocabSize for bpe, 256 for char)")
    int vocab;

    @Option(names = "--warm", defaultValue = "3", description = "--measure: steps before measuring")
    int warm;

    @Option(names = "--steps", defaultValue = "2", description = "--measure: steps measured (the largest peak counts)")
    int steps;

    @Override
    public Integer call() {
        Configuration hadoop = new Configuration();
        SparkformerConfig c = config.load(hadoop);
        Task t = switch (task) {
            case "train" -> Task.of(c.model());
            case "finetune" -> Task.BERT_CLASSIFIER;
            default -> throw new InputException("--task must be train or finetune, got '" + task + "'");
        };
        if (architecture != null) {
            ConfigOptions pretrained = new ConfigOptions();
            pretrained.config = architecture;
            SparkformerConfig p = pretrained.load(hadoop);
            c = c.withArchitecture(p.model().withDropout(c.model().dropout()), p.tokenizer());
        }
        int v = vocab > 0 ? vocab : JvmMemory.vocabulary(c);
        if (!measure && master.startsWith("local")) {
            System.out.println(JvmMemory.of(c, t, v, JvmMemory.localReplicas(c, master)).launcherLine());
            return ExitCodes.OK;
        }
        if (!measure) {
            // A cluster: one key=value per line, for spark-submit --conf (submit/lib.sh).
            JvmMemory.executor(c, t, v, executorReplicas).sparkConf("executor").forEach(System.out::println);
            JvmMemory.driver(c, t, v).sparkConf("driver").forEach(System.out::println);
            return ExitCodes.OK;
        }
        MemoryEstimate e = MemoryEstimate.of(c, t, v);
        OffHeapPeak.Result r = OffHeapPeak.measure(c, t, v, Math.max(2, c.finetune().labels().size()), warm, steps);
        System.out.println(String.format(Locale.ROOT,
                "| %s | %s | %,d | %,.1f MiB (state %.1f, activations %.1f, logits %.1f) | %,.1f MiB (held %.1f,"
                        + " step peak %.1f, workspaces %.1f%s) | %.2f |",
                config.origin().replaceAll(".*/", "").replace(".conf", ""), t, e.params(), e.replicaBytes() / MIB,
                e.stateBytes() / MIB, e.activationBytes() / MIB, e.logitBytes() / MIB, r.peak() / MIB,
                (r.live() - r.baseline()) / MIB, (r.stepPeak() - r.baseline()) / MIB, r.workspaces() / MIB,
                r.collected() ? "; a GC ran in the step" : "", e.replicaBytes() / (double) r.peak()));
        return ExitCodes.OK;
    }

    private static final double MIB = 1 << 20;
}
