package io.sparkformer.job.cli;

import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.job.train.JvmMemory;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * {@code memory}: the heap and javacpp limits a training JVM of this config needs, from the model's
 * off-heap estimate ({@link JvmMemory}); {@code submit/sparkformer} sizes its JVM with it.
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
        description = "Print the heap, ND4J off-heap and physical-memory limits (MiB) a training JVM of this config needs.")
public final class MemoryCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Option(names = "--master", defaultValue = "local[*]", description = "Spark master; local[N] trains up to N replicas in this JVM")
    String master;

    @Override
    public Integer call() {
        SparkformerConfig c = config.load(new Configuration());
        int replicas = master.startsWith("local") ? JvmMemory.localReplicas(c, master) : 1;
        System.out.println(JvmMemory.of(c, replicas).launcherLine());
        return ExitCodes.OK;
    }
}
