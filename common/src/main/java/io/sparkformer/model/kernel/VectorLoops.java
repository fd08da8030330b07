package io.sparkformer.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The fused loops behind {@link Kernels}, on whole off-heap buffers in native order addressed by
 * element offsets: each reads its inputs once and writes each output once, vector by vector, then
 * finishes the tail of fewer than one vector in scalar code. Only {@link Kernels} calls this class:
 * loading it needs the {@code jdk.incubator.vector} module. EXP on x86 is an SVML intrinsic.
 */
final class VectorLoops {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Lane i holds i: compared with a count, it masks the lanes past a row's end. */
    private static final FloatVector IOTA = FloatVector.fromArray(F, iota(), 0);

    private VectorLoops() {
    }

    private static float[] iota() {
        float[] lanes = new float[LANES];
        for (int i = 0; i < LANES; i++) {
            lanes[i] = i;
        }
        return lanes;
    }

    static int vectorBits() {
        return F.vectorBitSize();
    }

    private static FloatVector load(ByteBuffer b, long element) {
        return FloatVector.fromByteBuffer(F, b, (int) (element * Float.BYTES), NATIVE);
    }

    private static void store(FloatVector v, ByteBuffer b, long element) {
        v.intoByteBuffer(b, (int) (element * Float.BYTES), NATIVE);
    }

    private static float get(ByteBuffer b, long element) {
        return b.getFloat((int) (element * Float.BYTES));
    }

    private static void put(ByteBuffer b, long element, float value) {
        b.putFloat((int) (element * Float.BYTES), value);
    }

    /** y = x s, s = sigmoid(c1 x + c3 x^3) (= 0.5 (1 + tanh(z)) with 2z = c1 x + c3 x^3). */
    static void geluForward(ByteBuffer x, long xo, ByteBuffer y, long yo, ByteBuffer s, long so, int n,
                            float c1, float c3) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector xv = load(x, xo + i);
            FloatVector u = xv.mul(xv).mul(c3).add(c1).mul(xv);
            FloatVector sv = u.neg().lanewise(VectorOperators.EXP).add(1f);
            sv = FloatVector.broadcast(F, 1f).div(sv);
            store(sv, s, so + i);
            store(sv.mul(xv), y, yo + i);
        }
        for (; i < n; i++) {
            float xi = get(x, xo + i);
            float u = (xi * xi * c3 + c1) * xi;
            float si = 1f / (1f + (float) Math.exp(-u));
            put(s, so + i, si);
            put(y, yo + i, si * xi);
        }
    }

    /** Per row of x [rows, cols]: x += b (in place, the backward pass needs it), then as {@link #geluForward}. */
    static void geluForwardBias(ByteBuffer x, long xo, ByteBuffer b, long bo, ByteBuffer y, long yo, ByteBuffer s,
                                long so, int rows, int cols, float c1, float c3) {
        int bound = F.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            int j = 0;
            for (; j < bound; j += LANES) {
                FloatVector xv = load(x, xo + row + j).add(load(b, bo + j));
                store(xv, x, xo + row + j);
                FloatVector u = xv.mul(xv).mul(c3).add(c1).mul(xv);
                FloatVector sv = FloatVector.broadcast(F, 1f).div(u.neg().lanewise(VectorOperators.EXP).add(1f));
                store(sv, s, so + row + j);
                store(sv.mul(xv), y, yo + row + j);
            }
            for (; j < cols; j++) {
                float xi = get(x, xo + row + j) + get(b, bo + j);
                put(x, xo + row + j, xi);
                float u = (xi * xi * c3 + c1) * xi;
                float si = 1f / (1f + (float) Math.exp(-u));
                put(s, so + row + j, si);
                put(y, yo + row + j, si * xi);
            }
        }
    }

    /** dx = dy [s + x s (1 - s) (c1 + 3 c3 x^2)]. */
    static void geluBackward(ByteBuffer x, long xo, ByteBuffer s, long so, ByteBuffer dy, long dyo,
                             ByteBuffer dx, long dxo, int n, float c1, float c3) {
        float c3x3 = 3 * c3;
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector xv = load(x, xo + i);
            FloatVector sv = load(s, so + i);
            FloatVector du = xv.mul(xv).mul(c3x3).add(c1);
            FloatVector grad = sv.neg().add(1f).mul(sv).mul(xv).mul(du).add(sv);
            store(grad.mul(load(dy, dyo + i)), dx, dxo + i);
        }
        for (; i < n; i++) {
            float xi = get(x, xo + i);
            float si = get(s, so + i);
            float du = xi * xi * c3x3 + c1;
            put(dx, dxo + i, ((1f - si) * si * xi * du + si) * get(dy, dyo + i));
        }
    }

    /** Per row of x [rows, cols]: xhat = (x - mean) rstd, rstd = 1 / sqrt(var + eps), y = xhat g + b. */
    static void layerNormForward(ByteBuffer x, long xo, ByteBuffer g, long go, ByteBuffer b, long bo,
                                 ByteBuffer y, long yo, ByteBuffer xhat, long ho, ByteBuffer rstd, long ro,
                                 int rows, int cols, float eps) {
        int bound = F.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            FloatVector acc = FloatVector.zero(F);
            int j = 0;
            for (; j < bound; j += LANES) {
                acc = acc.add(load(x, xo + row + j));
            }
            float sum = acc.reduceLanes(VectorOperators.ADD);
            for (; j < cols; j++) {
                sum += get(x, xo + row + j);
            }
            float mean = sum / cols;
            acc = FloatVector.zero(F);
            for (j = 0; j < bound; j += LANES) {
                FloatVector c = load(x, xo + row + j).sub(mean);
                acc = c.fma(c, acc);
            }
            float sq = acc.reduceLanes(VectorOperators.ADD);
            for (; j < cols; j++) {
                float c = get(x, xo + row + j) - mean;
                sq += c * c;
            }
            float rs = (float) (1.0 / Math.sqrt(sq / cols + eps));
            put(rstd, ro + r, rs);
            for (j = 0; j < bound; j += LANES) {
                FloatVector h = load(x, xo + row + j).sub(mean).mul(rs);
                store(h, xhat, ho + row + j);
                store(h.fma(load(g, go + j), load(b, bo + j)), y, yo + row + j);
            }
            for (; j < cols; j++) {
                float h = (get(x, xo + row + j) - mean) * rs;
                put(xhat, ho + row + j, h);
                put(y, yo + row + j, h * get(g, go + j) + get(b, bo + j));
            }
        }
    }

    /**
     * Per row: dx = rstd (dy g - mean(dy g) - xhat mean(dy g xhat)) (+ res, the residual branch's
     * gradient, when not null); over all rows sumDy += dy and
     * sumDyXhat += dy xhat (heap arrays of cols, one pair per thread; see {@link #addInto}).
     */
    static void layerNormBackward(ByteBuffer xhat, long ho, ByteBuffer rstd, long ro, ByteBuffer g, long go,
                                  ByteBuffer dy, long dyo, ByteBuffer dx, long dxo, ByteBuffer res, long reso,
                                  float[] sumDy, float[] sumDyXhat, int rows, int cols) {
        int bound = F.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            FloatVector accD = FloatVector.zero(F);
            FloatVector accDX = FloatVector.zero(F);
            int j = 0;
            for (; j < bound; j += LANES) {
                FloatVector d = load(dy, dyo + row + j);
                FloatVector h = load(xhat, ho + row + j);
                FloatVector dh = d.mul(load(g, go + j));
                accD = accD.add(dh);
                accDX = dh.fma(h, accDX);
                FloatVector.fromArray(F, sumDy, j).add(d).intoArray(sumDy, j);
                d.fma(h, FloatVector.fromArray(F, sumDyXhat, j)).intoArray(sumDyXhat, j);
            }
            float a = accD.reduceLanes(VectorOperators.ADD);
            float b = accDX.reduceLanes(VectorOperators.ADD);
            for (; j < cols; j++) {
                float d = get(dy, dyo + row + j);
                float h = get(xhat, ho + row + j);
                float dh = d * get(g, go + j);
                a += dh;
                b += dh * h;
                sumDy[j] += d;
                sumDyXhat[j] += d * h;
            }
            float meanD = a / cols;
            float meanDX = b / cols;
            float rs = get(rstd, ro + r);
            for (j = 0; j < bound; j += LANES) {
                FloatVector dh = load(dy, dyo + row + j).mul(load(g, go + j));
                FloatVector v = dh.sub(meanD).sub(load(xhat, ho + row + j).mul(meanDX)).mul(rs);
                if (res != null) {
                    v = load(res, reso + row + j).add(v);
                }
                store(v, dx, dxo + row + j);
            }
            for (; j < cols; j++) {
                float dh = get(dy, dyo + row + j) * get(g, go + j);
                float v = (dh - meanD - get(xhat, ho + row + j) * meanDX) * rs;
                put(dx, dxo + row + j, res == null ? v : get(res, reso + row + j) + v);
            }
        }
    }

    /** Per row of y [rows, cols], in place: y = (y + b) + r, the bias and the residual of a sublayer. */
    static void biasResidual(ByteBuffer y, long yo, ByteBuffer b, long bo, ByteBuffer r, long ro, int rows, int cols) {
        int bound = F.loopBound(cols);
        for (int i = 0; i < rows; i++) {
            long row = (long) i * cols;
            int j = 0;
            for (; j < bound; j += LANES) {
                store(load(y, yo + row + j).add(load(b, bo + j)).add(load(r, ro + row + j)), y, yo + row + j);
            }
            for (; j < cols; j++) {
                put(y, yo + row + j, get(y, yo + row + j) + get(b, bo + j) + get(r, ro + row + j));
            }
        }
    }

    /** y [rows, cols] += b [cols] on every row. */
    static void addRowVector(ByteBuffer y, long yo, ByteBuffer b, long bo, int rows, int cols) {
        int bound = F.loopBound(cols);
        for (int i = 0; i < rows; i++) {
            long row = (long) i * cols;
            int j = 0;
            for (; j < bound; j += LANES) {
                store(load(y, yo + row + j).add(load(b, bo + j)), y, yo + row + j);
            }
            for (; j < cols; j++) {
                put(y, yo + row + j, get(y, yo + row + j) + get(b, bo + j));
            }
        }
    }

    /**
     * Head layout copy between rows [B, L, k, H, D] (k stacked projections of H heads) and heads
     * [k, B, H, L, D], for batches [b0, b1): {@code split} copies rows to heads, else heads to rows.
     * Each head row of D floats is one bulk copy.
     */
    static void copyHeads(ByteBuffer rows, long ro, ByteBuffer heads, long ho, int batch, int b0, int b1, int length,
                          int k, int h, int d, boolean split) {
        int bytes = d * Float.BYTES;
        for (int b = b0; b < b1; b++) {
            for (int l = 0; l < length; l++) {
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < h; j++) {
                        long r = ((((long) b * length + l) * k + i) * h + j) * d;
                        long e = ((((long) i * batch + b) * h + j) * length + l) * d;
                        if (split) {
                            heads.put((int) ((ho + e) * Float.BYTES), rows, (int) ((ro + r) * Float.BYTES), bytes);
                        } else {
                            rows.put((int) ((ro + r) * Float.BYTES), heads, (int) ((ho + e) * Float.BYTES), bytes);
                        }
                    }
                }
            }
        }
    }

    /**
     * sums[j] += x[r, j] over the rows of x [rows, cols], four rows per pass over the sums (which stay
     * in L1): one read of x, and a quarter of the sums' loads and stores of a row-by-row loop.
     */
    static void columnSums(ByteBuffer x, long xo, int rows, int cols, float[] sums) {
        int bound = F.loopBound(cols);
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            long r0 = xo + (long) r * cols;
            long r1 = r0 + cols;
            long r2 = r1 + cols;
            long r3 = r2 + cols;
            int j = 0;
            for (; j < bound; j += LANES) {
                FloatVector.fromArray(F, sums, j).add(load(x, r0 + j)).add(load(x, r1 + j)).add(load(x, r2 + j))
                        .add(load(x, r3 + j)).intoArray(sums, j);
            }
            for (; j < cols; j++) {
                sums[j] += get(x, r0 + j) + get(x, r1 + j) + get(x, r2 + j) + get(x, r3 + j);
            }
        }
        for (; r < rows; r++) {
            long row = xo + (long) r * cols;
            int j = 0;
            for (; j < bound; j += LANES) {
                load(x, row + j).add(FloatVector.fromArray(F, sums, j)).intoArray(sums, j);
            }
            for (; j < cols; j++) {
                sums[j] += get(x, row + j);
            }
        }
    }

    /** target[j] += values[j] for the cols elements of a gradient view. */
    static void addInto(ByteBuffer target, long to, float[] values) {
        for (int j = 0; j < values.length; j++) {
            put(target, to + j, get(target, to + j) + values[j]);
        }
    }

    /**
     * Attention probabilities in place, row by row over x [rows, cols]: x = softmax(x scale + bias).
     * With {@code causal}, row r is query q = r % queries and sees columns 0..q only (the rest
     * become exactly 0, as exp underflows for the additive mask); {@code bias} is then not read and
     * may be null. Three passes over a row that stays in L1: scale (+ bias) and max, exp and sum,
     * normalise. A causal row runs in whole vectors up to the one holding its last visible column
     * (that vector's later lanes set to -inf, so exp makes them 0) and is zeroed vector by vector
     * after it: scalar code only where cols is not a multiple of the vector length.
     */
    static void softmaxForward(ByteBuffer x, long xo, ByteBuffer bias, long bo, int rows, int queries, int cols,
                               float scale, boolean causal) {
        int colBound = F.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            long row = xo + (long) r * cols;
            int limit = causal ? Math.min(cols, r % queries + 1) : cols;
            int vectorEnd = causal ? Math.min(roundUp(limit), colBound) : colBound;   // >= loopBound(limit)
            FloatVector maxV = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            int j = 0;
            for (; j < vectorEnd; j += LANES) {
                FloatVector v = load(x, row + j).mul(scale);
                if (bias != null && !causal) {
                    v = v.add(load(bias, bo + (long) r * cols + j));
                }
                if (j + LANES > limit) {   // the causal boundary: lanes past the query's own key
                    v = v.blend(Float.NEGATIVE_INFINITY, IOTA.compare(VectorOperators.GE, limit - j));
                }
                store(v, x, row + j);
                maxV = maxV.max(v);
            }
            float max = maxV.reduceLanes(VectorOperators.MAX);
            for (; j < limit; j++) {
                float v = get(x, row + j) * scale;
                if (bias != null && !causal) {
                    v += get(bias, bo + (long) r * cols + j);
                }
                put(x, row + j, v);
                max = Math.max(max, v);
            }
            FloatVector sumV = FloatVector.zero(F);
            for (j = 0; j < vectorEnd; j += LANES) {
                FloatVector e = load(x, row + j).sub(max).lanewise(VectorOperators.EXP);
                store(e, x, row + j);
                sumV = sumV.add(e);
            }
            float sum = sumV.reduceLanes(VectorOperators.ADD);
            for (; j < limit; j++) {
                float e = (float) Math.exp(get(x, row + j) - max);
                put(x, row + j, e);
                sum += e;
            }
            float inv = 1f / sum;
            for (j = 0; j < vectorEnd; j += LANES) {
                store(load(x, row + j).mul(inv), x, row + j);
            }
            for (; j < limit; j++) {
                put(x, row + j, get(x, row + j) * inv);
            }
            fill(x, row + Math.max(j, vectorEnd), cols - Math.max(j, vectorEnd), 0f);
        }
    }

    /**
     * Softmax backward in place over dp [rows, cols]: dp = p (dp - sum(dp p)) scale per row. With
     * {@code causal}, columns after the query's own are 0 (p is 0 there): the row is computed in
     * whole vectors up to the one holding its last visible column (p = 0 makes the later lanes 0 and
     * adds nothing to the sum) and zeroed after it.
     */
    static void softmaxBackward(ByteBuffer p, long po, ByteBuffer dp, long dpo, int rows, int queries, int cols,
                                float scale, boolean causal) {
        int colBound = F.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            int limit = causal ? Math.min(cols, r % queries + 1) : cols;
            int vectorEnd = causal ? Math.min(roundUp(limit), colBound) : colBound;
            FloatVector acc = FloatVector.zero(F);
            int j = 0;
            for (; j < vectorEnd; j += LANES) {
                acc = load(dp, dpo + row + j).fma(load(p, po + row + j), acc);
            }
            float dot = acc.reduceLanes(VectorOperators.ADD);
            for (; j < limit; j++) {
                dot += get(dp, dpo + row + j) * get(p, po + row + j);
            }
            for (j = 0; j < vectorEnd; j += LANES) {
                FloatVector d = load(dp, dpo + row + j).sub(dot).mul(load(p, po + row + j)).mul(scale);
                store(d, dp, dpo + row + j);
            }
            for (; j < limit; j++) {
                put(dp, dpo + row + j, (get(dp, dpo + row + j) - dot) * get(p, po + row + j) * scale);
            }
            fill(dp, dpo + row + Math.max(j, vectorEnd), cols - Math.max(j, vectorEnd), 0f);
        }
    }

    /** The smallest multiple of the vector length at or above n. */
    private static int roundUp(int n) {
        return (n + LANES - 1) / LANES * LANES;
    }

    /**
     * The sum of x^2 over n elements: float vector lanes per stretch of 1024 elements (at most 64 terms
     * a lane), the stretches added in double.
     */
    static double sumOfSquares(ByteBuffer x, long xo, int n) {
        double total = 0;
        int i = 0;
        int bound = F.loopBound(n);
        while (i < bound) {
            int end = Math.min(bound, i + 1024);
            FloatVector acc = FloatVector.zero(F);
            for (; i < end; i += LANES) {
                FloatVector v = load(x, xo + i);
                acc = v.fma(v, acc);
            }
            total += acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float v = get(x, xo + i);
            total += v * v;
        }
        return total;
    }

    /** Whether all n elements are finite: x - x is 0 for every finite x and NaN for NaN and infinities. */
    static boolean allFinite(ByteBuffer x, long xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector v = load(x, xo + i);
            acc = acc.add(v.sub(v));
        }
        float tail = 0f;
        for (; i < n; i++) {
            float v = get(x, xo + i);
            tail += v - v;
        }
        return !Float.isNaN(acc.reduceLanes(VectorOperators.ADD) + tail);
    }

    /** x *= a over n elements. */
    static void scale(ByteBuffer x, long xo, int n, float a) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            store(load(x, xo + i).mul(a), x, xo + i);
        }
        for (; i < n; i++) {
            put(x, xo + i, get(x, xo + i) * a);
        }
    }

    /** y = a x + y over n elements (a product then a sum, as libnd4j's Axpy). */
    static void axpy(float a, ByteBuffer x, long xo, ByteBuffer y, long yo, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            store(load(x, xo + i).mul(a).add(load(y, yo + i)), y, yo + i);
        }
        for (; i < n; i++) {
            put(y, yo + i, a * get(x, xo + i) + get(y, yo + i));
        }
    }

    /** x = value over n elements. */
    static void fill(ByteBuffer x, long xo, int n, float value) {
        FloatVector v = FloatVector.broadcast(F, value);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            store(v, x, xo + i);
        }
        for (; i < n; i++) {
            put(x, xo + i, value);
        }
    }

    /** m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; g = m alphaT / (sqrt(v) + eps); same rounding as scalar. */
    static void adam(ByteBuffer g, long go, ByteBuffer m, long mo, ByteBuffer v, long vo, int n,
                     float beta1, float beta2, float epsilon, float alphaT) {
        float oneMinusBeta1 = 1f - beta1;
        float oneMinusBeta2 = 1f - beta2;
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector gv = load(g, go + i);
            FloatVector mv = load(m, mo + i).mul(beta1).add(gv.mul(oneMinusBeta1));
            FloatVector vv = load(v, vo + i).mul(beta2).add(gv.mul(gv).mul(oneMinusBeta2));
            store(mv, m, mo + i);
            store(vv, v, vo + i);
            store(mv.mul(alphaT).div(vv.sqrt().add(epsilon)), g, go + i);
        }
        for (; i < n; i++) {
            float gi = get(g, go + i);
            float mi = beta1 * get(m, mo + i) + gi * oneMinusBeta1;
            float vi = beta2 * get(v, vo + i) + gi * gi * oneMinusBeta2;
            put(m, mo + i, mi);
            put(v, vo + i, vi);
            put(g, go + i, mi * alphaT / ((float) Math.sqrt(vi) + epsilon));
        }
    }

    /**
     * One optimizer pass (see {@code OnePassAdamW}): g scaled by {@code clip}, then {@link #adam}, then, if
     * {@code decays}, g += decay p ({@link #axpy}); the same operations in the same order as those passes.
     */
    static void adamW(ByteBuffer g, long go, ByteBuffer m, long mo, ByteBuffer v, long vo, ByteBuffer p, long po,
                      int n, float clip, float beta1, float beta2, float epsilon, float alphaT, boolean decays,
                      float decay) {
        float oneMinusBeta1 = 1f - beta1;
        float oneMinusBeta2 = 1f - beta2;
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector gv = load(g, go + i).mul(clip);
            FloatVector mv = load(m, mo + i).mul(beta1).add(gv.mul(oneMinusBeta1));
            FloatVector vv = load(v, vo + i).mul(beta2).add(gv.mul(gv).mul(oneMinusBeta2));
            store(mv, m, mo + i);
            store(vv, v, vo + i);
            FloatVector u = mv.mul(alphaT).div(vv.sqrt().add(epsilon));
            store(decays ? load(p, po + i).mul(decay).add(u) : u, g, go + i);
        }
        for (; i < n; i++) {
            float gi = get(g, go + i) * clip;
            float mi = beta1 * get(m, mo + i) + gi * oneMinusBeta1;
            float vi = beta2 * get(v, vo + i) + gi * gi * oneMinusBeta2;
            put(m, mo + i, mi);
            put(v, vo + i, vi);
            float u = mi * alphaT / ((float) Math.sqrt(vi) + epsilon);
            put(g, go + i, decays ? decay * get(p, po + i) + u : u);
        }
    }
}
