package io.sparkformer.job;

import io.sparkformer.job.bench.BenchCommand;
import io.sparkformer.job.bench.CostCommand;
import io.sparkformer.job.cli.ClassifyCommand;
import io.sparkformer.job.cli.EmbedCommand;
import io.sparkformer.job.cli.FillMaskCommand;
import io.sparkformer.job.cli.EvaluateCommand;
import io.sparkformer.job.cli.ExitCodes;
import io.sparkformer.job.cli.ExportCommand;
import io.sparkformer.job.cli.FinetuneCommand;
import io.sparkformer.job.cli.GenerateCommand;
import io.sparkformer.job.cli.ImportCommand;
import io.sparkformer.job.cli.MemoryCommand;
import io.sparkformer.job.cli.PrepareCommand;
import io.sparkformer.job.cli.TrainCommand;
import io.sparkformer.job.cli.TranslateCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the job, the same through the embedded launcher and through spark-submit. */
@Command(name = "sparkformer", mixinStandardHelpOptions = true, version = "sparkformer 0.1.0",
        description = "Train Transformer models on Apache Spark with Deeplearning4j.",
        subcommands = {TrainCommand.class, PrepareCommand.class, GenerateCommand.class, EvaluateCommand.class,
                FinetuneCommand.class, ClassifyCommand.class, EmbedCommand.class, FillMaskCommand.class,
                ExportCommand.class, ImportCommand.class,
                BenchCommand.class, TranslateCommand.class, MemoryCommand.class, CostCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        int code = execute(args);
        // In a cluster-mode driver (YARN's application master) a successful main returns, so Spark
        // reports SUCCEEDED; System.exit there would count as a failure and start another attempt.
        if (code != 0 || !"cluster".equals(System.getProperty("spark.submit.deployMode"))) {
            System.exit(code);
        }
    }

    /** Runs a command line and returns the exit code (0 ok, 2 bad usage/config/input, 1 other failure). */
    public static int execute(String... args) {
        return new CommandLine(new Main())
                .setExecutionExceptionHandler(ExitCodes::handle)
                .setParameterExceptionHandler(ExitCodes::usage)
                .execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this),
                "missing command: train, prepare, generate, translate, evaluate, finetune, classify, embed, fill-mask,"
                        + " export or import");
    }
}
