package io.sparkformer.imports;

import io.sparkformer.InputException;
import io.sparkformer.UserPaths;
import com.fasterxml.jackson.databind.JsonNode;
import io.sparkformer.export.HfFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * What {@code import --from} points at, told apart before anything large is read: an ONNX file
 * (a BERT encoder, the only ONNX models we map), or a Hugging Face directory whose config.json
 * says {@code model_type} gpt2 or bert. Anything else is refused in one line naming it.
 */
public enum ModelSource {
    GPT2_DIRECTORY, BERT_DIRECTORY, BERT_ONNX;

    public static final String ONNX_SUFFIX = ".onnx";

    public boolean isBert() {
        return this != GPT2_DIRECTORY;
    }

    /** @throws InputException naming {@code uri} when it is none of the three */
    public static ModelSource of(String uri, Configuration conf) {
        Path path = UserPaths.of(uri, "--from");
        try {
            HfFiles.Directory source = HfFiles.existing(uri, conf, "");
            path = source.path();
            FileStatus status = source.fs().getFileStatus(path);
            if (status.isFile()) {
                if (path.getName().endsWith(ONNX_SUFFIX)) {
                    return BERT_ONNX;
                }
                throw new InputException(path + " is a file but not an ONNX model (" + ONNX_SUFFIX
                        + "); --from takes an ONNX BERT or a Hugging Face model directory");
            }
            JsonNode config = HfBertReader.config(path.toString(), conf);
            String type = config.path("model_type").asText("");
            return switch (type) {
                case "gpt2" -> GPT2_DIRECTORY;
                case HfBertConfig.MODEL_TYPE -> BERT_DIRECTORY;
                default -> throw new InputException(new Path(path, HfFiles.CONFIG) + ": model_type "
                        + config.path("model_type") + " cannot be imported (bert or gpt2)");
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }
}
