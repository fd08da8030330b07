package io.sparkformer.job.train;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.ModelConfig;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.InputException;
import io.sparkformer.tokenize.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/** What must agree between a checkpoint and the run that resumes it. */
final class ResumeChecks {
    private ResumeChecks() {
    }

    static void requireSameArchitecture(Checkpoint c, SparkformerConfig config) {
        ModelConfig saved = c.config().model();
        ModelConfig wanted = config.model();
        if (saved.equals(wanted)) {
            return;
        }
        List<String> diffs = new ArrayList<>();
        String[] a = ConfigLoader.render(c.config()).split("\n");
        String[] b = ConfigLoader.render(config).split("\n");
        boolean inModel = false;
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            if (a[i].startsWith("model {")) {
                inModel = true;
            } else if (a[i].equals("}")) {
                inModel = false;
            } else if (inModel && !a[i].equals(b[i])) {
                diffs.add("model." + a[i].trim().replace(" = ", "=") + " (config says " + b[i].trim().split(" = ")[1] + ")");
            }
        }
        throw new InputException("checkpoint " + c.name() + " has a different architecture: " + String.join(", ", diffs));
    }

    static void requireSameTokenizer(Checkpoint c, Tokenizer dataTokenizer, String dataDir) {
        if (!Tokenizer.fromJson(c.tokenizerJson()).sha256().equals(dataTokenizer.sha256())) {
            throw new InputException("the tokenizer of checkpoint " + c.name() + " does not match the one in " + dataDir);
        }
    }
}
