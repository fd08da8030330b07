package io.sparkformer.job.translate;

import io.sparkformer.data.BatchSource;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.dataset.DataSet;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;

/**
 * A batch source sent to each executor once as a Spark broadcast of its Java serialisation. The
 * job serialises broadcasts with Kryo, whose field serializer cannot build Java records (the
 * translation pairs and token ids are records), so the broadcast value is the plain bytes;
 * each task deserialises them once.
 */
final class JavaBroadcastBatches implements BatchSource {
    private final Broadcast<byte[]> bytes;
    private transient BatchSource value;

    private JavaBroadcastBatches(Broadcast<byte[]> bytes) {
        this.bytes = bytes;
    }

    static BatchSource of(JavaSparkContext sc, BatchSource batches) {
        return new JavaBroadcastBatches(sc.broadcast(serialize(batches)));
    }

    @Override
    public synchronized DataSet batch(long step, int worker) {
        if (value == null) {
            value = deserialize(bytes.value());
        }
        return value.batch(step, worker);
    }

    static byte[] serialize(BatchSource batches) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(buffer)) {
            out.writeObject(batches);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialise the training batches: " + e.getMessage(), e);
        }
        return buffer.toByteArray();
    }

    static BatchSource deserialize(byte[] bytes) {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return (BatchSource) in.readObject();
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("cannot read the broadcast training batches: " + e.getMessage(), e);
        }
    }
}
