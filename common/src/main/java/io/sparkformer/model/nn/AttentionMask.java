package io.sparkformer.model.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.Map;

/**
 * Additive attention bias [B*H, T, S] combining a causal mask (query t sees keys s <= t) and a key
 * padding mask (keys whose mask value is 0 are never seen).
 */
public final class AttentionMask {
    /**
     * Pure causal biases by shape, detached from workspaces, one set per thread: building one costs
     * ~1 ms per step for the baby GPT and it never changes. Callers never write into a bias.
     */
    private static final ThreadLocal<Map<String, INDArray>> CAUSAL = ThreadLocal.withInitial(HashMap::new);
    private static final int MAX_CACHED = 16;

    private AttentionMask() {
    }

    /**
     * @param keyPadding [B, S] with 1 for real tokens and 0 for padding, or null
     * @return the bias, or null when nothing is masked
     */
    public static INDArray bias(int batch, int heads, int t, int s, boolean causal, INDArray keyPadding,
                                DataType dataType) {
        if (!causal && keyPadding == null) {
            return null;
        }
        if (keyPadding == null) {
            return cachedCausal(batch, heads, t, s, dataType);
        }
        return build(batch, heads, t, s, causal, keyPadding, dataType);
    }

    /**
     * Whether {@code bias} is a pure causal bias of {@link #bias} (this thread's cached one), so
     * attention may mask by index instead of reading it.
     */
    public static boolean isCausal(INDArray bias) {
        if (bias == null) {
            return false;
        }
        for (INDArray cached : CAUSAL.get().values()) {
            if (cached == bias) {
                return true;
            }
        }
        return false;
    }

    private static INDArray build(int batch, int heads, int t, int s, boolean causal, INDArray keyPadding,
                                  DataType dataType) {
        float[] pad = keyPadding == null ? null : keyPadding.castTo(DataType.FLOAT).dup('c').data().asFloat();
        float[] bias = new float[batch * heads * t * s];
        int i = 0;
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int q = 0; q < t; q++) {
                    for (int k = 0; k < s; k++) {
                        boolean hidden = (causal && k > q) || (pad != null && pad[b * s + k] == 0f);
                        bias[i++] = hidden ? (float) Attention.MASKED : 0f;
                    }
                }
            }
        }
        return Nd4j.create(bias, new long[] {(long) batch * heads, t, s}, 'c').castTo(dataType);
    }

    private static INDArray cachedCausal(int batch, int heads, int t, int s, DataType dataType) {
        Map<String, INDArray> cache = CAUSAL.get();
        String key = batch + "x" + heads + "x" + t + "x" + s + ":" + dataType;
        INDArray bias = cache.get(key);
        if (bias == null) {
            if (cache.size() >= MAX_CACHED) {
                cache.clear();
            }
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                bias = build(batch, heads, t, s, true, null, dataType);
            }
            cache.put(key, bias);
        }
        return bias;
    }
}
