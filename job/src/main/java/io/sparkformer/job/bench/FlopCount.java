package io.sparkformer.job.bench;

import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.Architecture;

/**
 * Training FLOPs per token, as nanoGPT's estimate_mfu (PaLM appendix B): 6 N for the matrix
 * products of forward and backward, N the parameters without position embeddings, plus
 * 12 L H D T for attention scores and values.
 */
final class FlopCount {
    private FlopCount() {
    }

    static double perToken(ModelConfig m, int vocab) {
        Architecture a = m.architecture();
        long c = a.embedDim();
        long f = a.ffnDim();
        long perBlock = 4 * c + (3 * c * c + 3 * c) + (c * c + c) + (c * f + f) + (f * c + c);
        long n = (long) vocab * c + a.layers() * perBlock + 2 * c + (m.tiedEmbeddings() ? 0 : c * vocab);
        return 6.0 * n + 12.0 * a.layers() * a.heads() * a.headDim() * m.contextLength();
    }
}
