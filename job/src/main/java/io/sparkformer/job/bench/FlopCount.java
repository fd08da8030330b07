package io.sparkformer.job.bench;

import io.sparkformer.config.ModelConfig;

/**
 * Training FLOPs per token, as nanoGPT's estimate_mfu (PaLM appendix B): 6 N for the matrix
 * products of forward and backward, N the parameters without position embeddings, plus
 * 12 L H D T for attention scores and values.
 */
final class FlopCount {
    private FlopCount() {
    }

    static double perToken(ModelConfig m, int vocab) {
        long c = m.embedDim();
        long perBlock = 4 * c + (3 * c * c + 3 * c) + (c * c + c) + (c * m.ffnDim() + m.ffnDim()) + (m.ffnDim() * c + c);
        long n = (long) vocab * c + m.layers() * perBlock + 2 * c + (m.tiedEmbeddings() ? 0 : c * vocab);
        return 6.0 * n + 12.0 * m.layers() * m.heads() * m.headDim() * m.contextLength();
    }
}
