package io.sparkformer.job.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.apache.spark.serializer.DeserializationStream;
import org.apache.spark.serializer.SerializationStream;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import scala.reflect.ClassTag$;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Arrays survive Spark's Kryo with the job's registrator exactly: values, shape, type, order. */
class BulkNdArraySerializerTest {
    private final SerializerInstance kryo = new KryoSerializer(
            SparkContexts.withJobDefaults(new SparkConf(false))).newInstance();

    @SuppressWarnings("unchecked")
    private <T> T roundTrip(T value) {
        ByteBuffer bytes = kryo.serialize(value, ClassTag$.MODULE$.AnyRef());
        return (T) kryo.deserialize(bytes, ClassTag$.MODULE$.AnyRef());
    }

    private void assertSame(INDArray expected, INDArray actual) {
        assertEquals(expected.dataType(), actual.dataType());
        assertArrayEquals(expected.shape(), actual.shape());
        assertEquals(expected, actual);
    }

    @Test
    void denseViewsTransposesAndTypes() {
        INDArray floats = Nd4j.rand(DataType.FLOAT, 37, 129);
        INDArray column = floats.get(NDArrayIndex.all(), NDArrayIndex.interval(5, 9));   // strided view
        INDArray fOrder = Nd4j.rand(DataType.DOUBLE, 6, 4).dup('f');
        INDArray ints = Nd4j.createFromArray(new int[] {3, -1, Integer.MAX_VALUE, 0}).reshape(2, 2);
        INDArray rank3 = Nd4j.randn(DataType.FLOAT, 2, 3, 5);
        for (INDArray a : List.of(floats, column, fOrder, ints, rank3, floats.transpose())) {
            assertSame(a, roundTrip(a));
        }
    }

    /** Views written straight from their buffer (a flat reshape, leading rows) and ones that are copied first. */
    @Test
    void viewsAtTheStartOfTheirBufferAndElsewhere() {
        INDArray row = Nd4j.rand(DataType.FLOAT, 1, 300);
        INDArray flat = row.reshape(300);                        // what ComputationGraph.params() returns
        INDArray matrix = Nd4j.rand(DataType.FLOAT, 10, 12);
        INDArray leadingRows = matrix.get(NDArrayIndex.interval(0, 4), NDArrayIndex.all());
        INDArray laterRows = matrix.get(NDArrayIndex.interval(3, 7), NDArrayIndex.all());
        INDArray laterRow = matrix.getRow(5);
        for (INDArray a : List.of(flat, leadingRows, laterRows, laterRow)) {
            assertSame(a, roundTrip(a));
        }
    }

    @Test
    void theJobsKryoUsesTheBulkSerializerForArrays() {
        var registration = new KryoSerializer(SparkContexts.withJobDefaults(new SparkConf(false))).newKryo()
                .getRegistration(Nd4j.getBackend().getNDArrayClass());
        assertTrue(registration.getSerializer() instanceof BulkNdArraySerializer, registration.toString());
    }

    @Test
    void largeArrayCrossesTheChunkSize() {
        INDArray big = Nd4j.rand(DataType.FLOAT, 1000, 700);                             // 2.8 MB > 1 MB chunk
        assertSame(big, roundTrip(big));
    }

    /** Kryo bytes of {@code array} written, and the array read back, through windows of {@code window} bytes. */
    private static Object[] throughWindows(INDArray array, long window) {
        com.esotericsoftware.kryo.Kryo k = new KryoSerializer(SparkContexts.withJobDefaults(new SparkConf(false)))
                .newKryo();
        k.register(Nd4j.getBackend().getNDArrayClass(), new BulkNdArraySerializer(window));
        com.esotericsoftware.kryo.io.Output out = new com.esotericsoftware.kryo.io.Output(1 << 16, -1);
        k.writeObject(out, array);
        byte[] bytes = out.toBytes();
        INDArray back = (INDArray) k.readObject(new com.esotericsoftware.kryo.io.Input(bytes),
                Nd4j.getBackend().getNDArrayClass());
        return new Object[] {bytes, back};
    }

    @Test
    void arraysSpanningSeveralNativeWindowsRoundTripWithTheSameBytes() {
        // The windows that let arrays over 2 GB serialize, at a size a test can afford: 1,001 bytes
        // cuts floats in the middle, and 2.8 MB spans 2,798 windows.
        INDArray big = Nd4j.rand(DataType.FLOAT, 1000, 700);
        INDArray view = Nd4j.rand(DataType.DOUBLE, 300, 40).get(NDArrayIndex.interval(17, 300), NDArrayIndex.all());
        for (INDArray a : List.of(big, view, Nd4j.createFromArray(new int[] {1, 2, 3}))) {
            Object[] small = throughWindows(a, 1001);
            Object[] whole = throughWindows(a, BulkNdArraySerializer.WINDOW);
            assertSame(a, (INDArray) small[1]);
            assertArrayEquals((byte[]) whole[0], (byte[]) small[0], "the format does not depend on the window");
        }
    }

    /**
     * A real array over 2^31 bytes (a float array of 2^29 + 1,024 elements), written and read back
     * through Spark's Kryo stream serializer, which is how a broadcast of the model is written. Needs
     * about 4.3 GB of ND4J off-heap memory (the array and its copy) and 2 GB of temporary disk.
     */
    @Test
    void anArrayOverTwoGigabytesRoundTripsThroughSparksStreamSerializer(@TempDir Path dir) throws Exception {
        long length = (1L << 29) + 1024;
        long bytes = length * Float.BYTES;
        assumeTrue(Pointer.maxBytes() >= 2 * bytes + (512L << 20), "javacpp maxbytes " + Pointer.maxBytes()
                + " cannot hold a " + bytes + "-byte array twice");
        INDArray big = Nd4j.rand(DataType.FLOAT, length);
        big.putScalar(length - 1, 42.5f);                    // a known value in the last window's last float
        Path file = dir.resolve("big.kryo");
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            SerializationStream out = kryo.serializeStream(os);
            out.writeObject(big, ClassTag$.MODULE$.AnyRef());
            out.close();
        }
        assertTrue(Files.size(file) > bytes, "wrote " + Files.size(file) + " bytes");
        INDArray back;
        try (InputStream is = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            DeserializationStream in = kryo.deserializeStream(is);
            back = (INDArray) in.readObject(ClassTag$.MODULE$.AnyRef());
            in.close();
        }
        try {
            assertArrayEquals(new long[] {length}, back.shape());
            assertEquals(DataType.FLOAT, back.dataType());
            assertEquals(42.5f, back.getFloat(length - 1));
            assertEquals(big.getFloat(Integer.MAX_VALUE / 4 + 7), back.getFloat(Integer.MAX_VALUE / 4 + 7));
            assertEquals(big, back);
        } finally {
            big.close();
            back.close();
        }
    }

    @Test
    void scalarsEmptiesAndNullsInsideObjects() {
        Holder h = new Holder(Nd4j.scalar(2.5f), Nd4j.create(DataType.FLOAT, 0, 4), null);
        Holder back = roundTrip(h);
        assertSame(h.scalar, back.scalar);
        assertTrue(back.empty.isEmpty());
        assertArrayEquals(new long[] {0, 4}, back.empty.shape());
        assertNull(back.missing);
    }

    record Shard(String path, long tokens, java.util.List<Integer> ids) implements Serializable {
    }

    @Test
    void recordsRoundTrip() {
        Shard shard = new Shard("hdfs://nn/data/shard-00001", 1234L, java.util.List.of(1, 2, 3));
        assertEquals(shard, roundTrip(shard));
        List<Shard> shards = new java.util.ArrayList<>(List.of(shard, new Shard("b", 0L, List.of())));
        assertEquals(shards, roundTrip(shards));
    }

    @Test
    void immutableCollectionsRoundTrip() {
        for (Object value : List.of(List.of(), List.of("a"), List.of(1, 2, 3), java.util.Set.of(4),
                java.util.Map.of("k", 1), java.util.Map.of("a", 1, "b", 2, "c", 3))) {
            assertEquals(value, roundTrip(value));
        }
    }

    static final class Holder implements Serializable {
        final INDArray scalar;
        final INDArray empty;
        final INDArray missing;

        Holder(INDArray scalar, INDArray empty, INDArray missing) {
            this.scalar = scalar;
            this.empty = empty;
            this.missing = missing;
        }
    }
}
