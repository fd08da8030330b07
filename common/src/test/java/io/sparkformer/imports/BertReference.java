package io.sparkformer.imports;

import io.sparkformer.export.FloatTensor;
import org.apache.commons.math3.special.Erf;

/**
 * A BERT encoder forward pass in plain Java and double precision, written from the paper and
 * Hugging Face's {@code BertModel} (post-LayerNorm blocks, exact erf GELU, scores scaled by
 * 1/sqrt(D), padded keys masked out): the oracle that imported weights, and later our DL4J BERT,
 * are checked against.
 *
 * <p>Letters: T positions, H hidden width, A heads, D = H / A head width, F feed-forward width.
 */
public final class BertReference {

    private final BertWeights weights;
    private final BertArchitecture a;

    public BertReference(BertWeights weights) {
        this.weights = weights;
        this.a = weights.architecture();
    }

    /**
     * Last hidden states, (T, H), of one sequence.
     *
     * @param mask 1 for real tokens, 0 for padding (as the attention_mask input)
     */
    public double[][] lastHiddenState(int[] ids, int[] typeIds, int[] mask) {
        int t = ids.length;
        int h = a.hidden();
        double[][] x = new double[t][h];
        FloatTensor word = weights.get(BertWeights.WORD_EMBEDDINGS);
        FloatTensor position = weights.get(BertWeights.POSITION_EMBEDDINGS);
        FloatTensor type = weights.get(BertWeights.TOKEN_TYPE_EMBEDDINGS);
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < h; j++) {
                x[i][j] = (double) word.data()[ids[i] * h + j] + position.data()[i * h + j]
                        + type.data()[typeIds[i] * h + j];
            }
        }
        x = layerNorm(x, "embeddings.LayerNorm");
        for (int layer = 0; layer < a.layers(); layer++) {
            String p = BertWeights.layer(layer);
            double[][] attention = linear(attention(x, mask, p), p + "attention.output.dense");
            x = layerNorm(add(x, attention), p + "attention.output.LayerNorm");
            double[][] inner = gelu(linear(x, p + "intermediate.dense"));
            x = layerNorm(add(x, linear(inner, p + "output.dense")), p + "output.LayerNorm");
        }
        return x;
    }

    /** Multi-head self-attention before the output projection: (T, H) -> (T, H). */
    private double[][] attention(double[][] x, int[] mask, String p) {
        double[][] q = linear(x, p + "attention.self.query"); // (T, H) = (T, A*D)
        double[][] k = linear(x, p + "attention.self.key");
        double[][] v = linear(x, p + "attention.self.value");
        int t = x.length;
        int d = a.headDim();
        double scale = 1.0 / Math.sqrt(d);
        double[][] context = new double[t][a.hidden()];
        for (int head = 0; head < a.heads(); head++) {
            int off = head * d;
            for (int i = 0; i < t; i++) {
                double[] scores = new double[t]; // (T) over keys
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    if (mask[j] == 0) {
                        scores[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double s = 0;
                    for (int c = 0; c < d; c++) {
                        s += q[i][off + c] * k[j][off + c];
                    }
                    scores[j] = s * scale;
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < t; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int j = 0; j < t; j++) {
                    double weight = scores[j] / sum;
                    for (int c = 0; c < d; c++) {
                        context[i][off + c] += weight * v[j][off + c];
                    }
                }
            }
        }
        return context;
    }

    /**
     * BertForMaskedLM's scores (V) from last hidden states (T, H): gelu(h W_t^T + b_t), LayerNorm,
     * then the decoder tied to the word embeddings plus its bias, as Hugging Face's
     * BertOnlyMLMHead computes them.
     */
    public double[][] maskedLmLogits(double[][] hidden, HfBert.MaskedLm head) {
        double[][] u = layerNorm(gelu(linear(hidden, head.transformWeight(), head.transformBias())),
                head.normWeight().data(), head.normBias().data());
        return linear(u, weights.get(BertWeights.WORD_EMBEDDINGS), head.bias());
    }

    /**
     * BertForSequenceClassification's logits (K) from last hidden states: the pooler (dense + tanh)
     * on the first ([CLS]) position, then the classifier.
     */
    public double[] classifierLogits(double[][] hidden, HfBert.Classifier classifier) {
        double[][] pooled = linear(new double[][] {hidden[0]}, weights.get(BertWeights.POOLER_WEIGHT),
                weights.get(BertWeights.POOLER_BIAS));
        for (int j = 0; j < pooled[0].length; j++) {
            pooled[0][j] = Math.tanh(pooled[0][j]);
        }
        return linear(pooled, classifier.weight(), classifier.bias())[0];
    }

    private double[][] linear(double[][] x, String name) {
        return linear(x, weights.get(name + ".weight"), weights.get(name + ".bias"));
    }

    /** x W^T + b with W [out, in] as nn.Linear holds it. */
    private static double[][] linear(double[][] x, FloatTensor w, FloatTensor bias) {
        float[] b = bias.data();
        int out = (int) w.shape()[0];
        int in = (int) w.shape()[1];
        float[] wd = w.data();
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                int row = o * in;
                for (int c = 0; c < in; c++) {
                    s += x[i][c] * wd[row + c];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    private double[][] layerNorm(double[][] x, String name) {
        return layerNorm(x, weights.get(name + ".weight").data(), weights.get(name + ".bias").data());
    }

    private double[][] layerNorm(double[][] x, float[] gamma, float[] beta) {
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double mean = 0;
            for (double value : x[i]) {
                mean += value;
            }
            mean /= x[i].length;
            double variance = 0;
            for (double value : x[i]) {
                variance += (value - mean) * (value - mean);
            }
            variance /= x[i].length;
            double inv = 1.0 / Math.sqrt(variance + a.layerNormEpsilon());
            y[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                y[i][j] = (x[i][j] - mean) * inv * gamma[j] + beta[j];
            }
        }
        return y;
    }

    /** Exact GELU: x * (1 + erf(x / sqrt 2)) / 2. */
    private static double[][] gelu(double[][] x) {
        for (double[] row : x) {
            for (int j = 0; j < row.length; j++) {
                row[j] = 0.5 * row[j] * (1 + Erf.erf(row[j] / Math.sqrt(2)));
            }
        }
        return x;
    }

    private static double[][] add(double[][] x, double[][] y) {
        double[][] z = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            z[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                z[i][j] = x[i][j] + y[i][j];
            }
        }
        return z;
    }
}
