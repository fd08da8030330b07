package io.sparkformer.api;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.embed.SentenceEmbedder;

import java.util.List;

/**
 * Sentence embeddings from any BERT checkpoint (masked-LM, classifier, imported): the encoder's last
 * hidden states pooled into one vector per text, mean over the text's tokens by default (what
 * {@code embed} writes).
 */
public final class FeatureExtraction {
    private final SentenceEmbedder embedder;

    FeatureExtraction(Checkpoint checkpoint, String uri) {
        this.embedder = SentenceEmbedder.of(checkpoint, uri);
    }

    /** Floats per embedding: the encoder's hidden size. */
    public int dimension() {
        return embedder.dimension();
    }

    /** The mean-pooled embedding of one text. */
    public float[] embed(String text) {
        return embed(List.of(text)).get(0);
    }

    /** Mean-pooled embeddings, one per text, in order. */
    public List<float[]> embed(List<String> texts) {
        return embed(texts, SentenceEmbedder.Pooling.MEAN);
    }

    /** Embeddings pooled as {@code pooling}; an empty text is an input error naming its position. */
    public List<float[]> embed(List<String> texts, SentenceEmbedder.Pooling pooling) {
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i).isBlank()) {
                throw new InputException("text " + (i + 1) + " is empty");
            }
        }
        return List.of(embedder.embed(texts, pooling));
    }
}
