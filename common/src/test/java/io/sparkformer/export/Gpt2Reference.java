package io.sparkformer.export;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A plain-loop forward pass of Hugging Face's {@code GPT2LMHeadModel} (eval mode), written from its
 * definition and reading only a safetensors state dict and {@code config.json}: what PyTorch would
 * compute on an exported directory. Dimensions: T tokens, C = n_embd, H heads of width D = C / H.
 * <pre>
 *   x = wte[ids] + wpe[0..T)
 *   per block: x += c_proj(attn(ln_1(x)));  x += mlp.c_proj(gelu_new(mlp.c_fc(ln_2(x))))
 *   logits = ln_f(x) lm_head^T   (lm_head = wte when tie_word_embeddings)
 * </pre>
 * Conv1D is {@code x W + b} with W [in, out]; c_attn's output splits into q | k | v, each into H
 * contiguous D-wide heads; attention is causal softmax(q k^T / sqrt(D)) v.
 */
final class Gpt2Reference {
    private Gpt2Reference() {
    }

    /** Logits [T][V] for one sequence. */
    static double[][] logits(Safetensors sd, JsonNode config, int[] ids) {
        int c = config.get("n_embd").asInt();
        int h = config.get("n_head").asInt();
        int d = c / h;
        double eps = config.get("layer_norm_epsilon").asDouble();
        int t = ids.length;
        FloatTensor wte = sd.tensor("transformer.wte.weight");
        FloatTensor wpe = sd.tensor("transformer.wpe.weight");
        double[][] x = new double[t][c];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < c; j++) {
                x[i][j] = wte.data()[ids[i] * c + j] + wpe.data()[i * c + j];
            }
        }
        for (int layer = 0; layer < config.get("n_layer").asInt(); layer++) {
            String p = "transformer.h." + layer + ".";
            double[][] a = layerNorm(x, sd.tensor(p + "ln_1.weight"), sd.tensor(p + "ln_1.bias"), eps);
            double[][] qkv = conv1d(a, sd.tensor(p + "attn.c_attn.weight"), sd.tensor(p + "attn.c_attn.bias"));
            double[][] merged = new double[t][c];
            for (int head = 0; head < h; head++) {
                int q0 = head * d;
                int k0 = c + head * d;
                int v0 = 2 * c + head * d;
                for (int i = 0; i < t; i++) {
                    double[] scores = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= i; s++) {
                        double dot = 0;
                        for (int k = 0; k < d; k++) {
                            dot += qkv[i][q0 + k] * qkv[s][k0 + k];
                        }
                        scores[s] = dot / Math.sqrt(d);
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= i; s++) {
                        scores[s] = Math.exp(scores[s] - max);
                        sum += scores[s];
                    }
                    for (int s = 0; s <= i; s++) {
                        for (int k = 0; k < d; k++) {
                            merged[i][q0 + k] += scores[s] / sum * qkv[s][v0 + k];
                        }
                    }
                }
            }
            add(x, conv1d(merged, sd.tensor(p + "attn.c_proj.weight"), sd.tensor(p + "attn.c_proj.bias")));
            double[][] m = layerNorm(x, sd.tensor(p + "ln_2.weight"), sd.tensor(p + "ln_2.bias"), eps);
            double[][] hidden = conv1d(m, sd.tensor(p + "mlp.c_fc.weight"), sd.tensor(p + "mlp.c_fc.bias"));
            for (double[] row : hidden) {
                for (int j = 0; j < row.length; j++) {
                    double v = row[j];
                    row[j] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                }
            }
            add(x, conv1d(hidden, sd.tensor(p + "mlp.c_proj.weight"), sd.tensor(p + "mlp.c_proj.bias")));
        }
        double[][] out = layerNorm(x, sd.tensor("transformer.ln_f.weight"), sd.tensor("transformer.ln_f.bias"), eps);
        FloatTensor head = config.get("tie_word_embeddings").asBoolean() ? wte : sd.tensor("lm_head.weight");
        int v = (int) head.shape()[0];
        double[][] logits = new double[t][v];
        for (int i = 0; i < t; i++) {
            for (int w = 0; w < v; w++) {
                for (int j = 0; j < c; j++) {
                    logits[i][w] += out[i][j] * head.data()[w * c + j];       // nn.Linear: x W^T, W [V, C]
                }
            }
        }
        return logits;
    }

    private static double[][] conv1d(double[][] x, FloatTensor w, FloatTensor b) {
        int in = (int) w.shape()[0];
        int out = (int) w.shape()[1];
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double sum = b.data()[o];
                for (int k = 0; k < in; k++) {
                    sum += x[i][k] * w.data()[k * out + o];
                }
                y[i][o] = sum;
            }
        }
        return y;
    }

    private static double[][] layerNorm(double[][] x, FloatTensor g, FloatTensor b, double eps) {
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            int c = x[i].length;
            double mean = 0;
            for (double v : x[i]) {
                mean += v / c;
            }
            double var = 0;
            for (double v : x[i]) {
                var += (v - mean) * (v - mean) / c;                      // biased, as torch.nn.LayerNorm
            }
            y[i] = new double[c];
            for (int j = 0; j < c; j++) {
                y[i][j] = (x[i][j] - mean) / Math.sqrt(var + eps) * g.data()[j] + b.data()[j];
            }
        }
        return y;
    }

    private static void add(double[][] x, double[][] y) {
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] += y[i][j];
            }
        }
    }
}
