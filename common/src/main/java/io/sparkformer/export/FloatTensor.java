package io.sparkformer.export;

import java.util.Arrays;

/**
 * A dense tensor of floats in row-major ('C') order, as safetensors stores it.
 *
 * @param shape dimensions, outermost first; {@code []} is a scalar
 * @param data  {@code product(shape)} values; held, not copied (tensors can be large), so do not
 *              change the array after handing it over
 */
public record FloatTensor(long[] shape, float[] data) {

    public FloatTensor {
        shape = shape.clone();
        long n = elements(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got "
                    + data.length);
        }
    }

    /** Number of elements of a tensor of this shape; rejects negative dimensions and overflow. */
    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The shape as {@code [2, 3]}, for messages. */
    public String shapeText() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FloatTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "FloatTensor" + shapeText();
    }
}
