package io.sparkformer.export;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.model.gpt.GptSpec;

import java.util.Locale;
import java.util.Optional;

/** The short {@code README.md} of an exported model: what it is, how it was trained, how to load it. */
final class ModelCard {
    private ModelCard() {
    }

    static String render(Checkpoint c, GptSpec spec, long parameters, String tokenizerType,
                         Optional<RunMetrics> metrics) {
        StringBuilder md = new StringBuilder();
        md.append("---\nlibrary_name: transformers\npipeline_tag: text-generation\n")
                .append("tags:\n- sparkformer\n- gpt2\n---\n\n");
        md.append("# Sparkformer GPT, step ").append(c.state().step()).append("\n\n");
        md.append(String.format(Locale.ROOT, "A GPT-2-layout causal language model trained with Sparkformer %s "
                        + "(Apache Spark + Deeplearning4j) and exported at step %d, after %,d training tokens.%n%n",
                HfExporter.SPARKFORMER_VERSION, c.state().step(), c.state().tokens()));
        md.append("| | |\n|---|---|\n");
        row(md, "architecture", String.format(Locale.ROOT, "%s: %d layers, %d heads, n_embd %d, n_inner %d, "
                        + "context %d, %s embeddings", Gpt2Config.ARCHITECTURE, spec.arch().layers(), spec.arch().heads(),
                spec.arch().embedDim(), spec.arch().ffnDim(), spec.contextLength(), spec.tiedEmbeddings() ? "tied" : "untied"));
        row(md, "parameters", String.format(Locale.ROOT, "%,d", parameters));
        row(md, "vocabulary", spec.vocabSize() + " tokens (" + ("bpe".equals(tokenizerType)
                ? "byte-level BPE, GPT-2 style" : "one token per character") + ")");
        row(md, "training tokens", String.format(Locale.ROOT, "%,d", c.state().tokens()));
        row(md, "final train loss", loss(metrics.flatMap(RunMetrics::train)));
        row(md, "final validation loss", loss(metrics.flatMap(RunMetrics::validation)));
        md.append("\nLosses are mean token cross-entropy in nats").append(metrics.isEmpty()
                ? " (no metrics.jsonl was found beside the checkpoint).\n\n" : ", from the run's metrics.jsonl.\n\n");
        md.append("## How to load\n\n```python\n")
                .append("from transformers import GPT2LMHeadModel, PreTrainedTokenizerFast\n\n")
                .append("model = GPT2LMHeadModel.from_pretrained(\"path/to/this/directory\")\n")
                .append("tokenizer = PreTrainedTokenizerFast(tokenizer_file=\"path/to/this/directory/tokenizer.json\")\n")
                .append("ids = tokenizer(\"Hello\", return_tensors=\"pt\").input_ids\n")
                .append("out = model.generate(ids, max_new_tokens=").append(Math.max(1, spec.contextLength() / 2))
                .append(", do_sample=True, top_k=50)\n")
                .append("print(tokenizer.decode(out[0], clean_up_tokenization_spaces=False))\n```\n\n")
                .append("Prompt plus generated tokens must fit in the context of ").append(spec.contextLength())
                .append(" positions.\n\n");
        md.append("## Training configuration\n\n```hocon\n").append(c.configText().strip()).append("\n```\n");
        return md.toString();
    }

    private static void row(StringBuilder md, String name, String value) {
        md.append("| ").append(name).append(" | ").append(value).append(" |\n");
    }

    private static String loss(Optional<RunMetrics.LossAt> loss) {
        return loss.map(l -> String.format(Locale.ROOT, "%.4f (step %d)", l.loss(), l.step())).orElse("not recorded");
    }
}
