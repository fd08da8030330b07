package io.sparkformer.job.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import org.apache.spark.serializer.KryoRegistrator;
import org.nd4j.kryo.Nd4jRegistrator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's Kryo registrations, with ND4J arrays copied in bulk ({@link BulkNdArraySerializer}) and Java
 * records through Java serialization: Kryo 4's field serializer cannot rebuild a record (no
 * constructor it can call, final fields it may not set), and the job's task results and broadcasts
 * carry records.
 */
public final class NdArrayKryoRegistrator implements KryoRegistrator {
    @Override
    public void registerClasses(Kryo kryo) {
        new Nd4jRegistrator().registerClasses(kryo);
        kryo.register(Nd4j.getBackend().getNDArrayClass(), new BulkNdArraySerializer());
        kryo.addDefaultSerializer(Record.class, JavaSerializer.class);
    }
}
