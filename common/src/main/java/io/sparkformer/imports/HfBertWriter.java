package io.sparkformer.imports;

import io.sparkformer.InputException;
import io.sparkformer.UserPaths;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.export.FloatTensor;
import io.sparkformer.export.HfFiles;
import io.sparkformer.export.Safetensors;
import io.sparkformer.export.SafetensorsWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes a BERT in the Hugging Face layout {@link HfBertReader} reads and {@code transformers}
 * loads: a classifier as {@code BertForSequenceClassification} (encoder under {@code bert.}, with
 * id2label/label2id), a masked LM as {@code BertForMaskedLM} (encoder under {@code bert.}, the head's
 * {@code cls.predictions.*} without the tied decoder weight, as {@code save_pretrained} writes it),
 * an encoder alone as {@code BertModel} (no prefix); plus tokenizer.json.
 */
public final class HfBertWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HfBertWriter() {
    }

    /** The tensors under the names {@code transformers} expects for this model's class. */
    public static Safetensors tensors(HfBert bert) {
        String prefix = bert.modelClass().equals(HfBertConfig.ENCODER) ? "" : HfBertReader.PREFIX;
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        bert.encoder().tensors().forEach((name, t) -> out.put(prefix + name, t));
        if (bert.classifier() != null) {
            out.put(HfBert.Classifier.WEIGHT, bert.classifier().weight());
            out.put(HfBert.Classifier.BIAS, bert.classifier().bias());
        }
        if (bert.maskedLm() != null) {
            out.putAll(bert.maskedLm().tensors());
        }
        return Safetensors.of(out, Map.of("format", "pt"));
    }

    /**
     * @param overwrite replace an earlier model in {@code outUri}; without it an existing
     *     config.json or model.safetensors there is refused
     * @return the files written
     */
    public static List<Path> write(HfBert bert, String outUri, Configuration conf, boolean overwrite) {
        Path out = UserPaths.of(outUri, "--out");
        try {
            FileSystem fs = HfFiles.fileSystem(out, conf);
            out = fs.makeQualified(out);
            for (String name : List.of(HfFiles.CONFIG, HfFiles.MODEL)) {
                if (!overwrite && fs.exists(new Path(out, name))) {
                    throw new InputException(out + " already holds a " + name + ": pass --overwrite to replace it");
                }
            }
            fs.mkdirs(out);
            List<Path> written = new ArrayList<>();
            Path model = new Path(out, HfFiles.MODEL);
            try (OutputStream stream = fs.create(model, true)) {
                SafetensorsWriter.write(tensors(bert), stream);
            }
            written.add(model);
            List<String> labels = bert.classifier() == null ? List.of() : bert.classifier().labels();
            Path config = new Path(out, HfFiles.CONFIG);
            HfFiles.writeText(fs, config, JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(HfBertConfig.toJson(bert.encoder().architecture(), bert.modelClass(), labels)) + "\n");
            written.add(config);
            if (bert.tokenizerJson() != null) {
                Path tokenizer = new Path(out, HfFiles.TOKENIZER);
                HfFiles.writeText(fs, tokenizer, bert.tokenizerJson());
                written.add(tokenizer);
            }
            return written;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("config.json of a BERT cannot be rendered", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }
}
