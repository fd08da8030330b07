package io.sparkformer.job.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.sparkformer.data.BatchSource;
import io.sparkformer.data.HadoopConf;
import io.sparkformer.data.TokenSource;
import org.apache.spark.serializer.KryoRegistrator;
import org.nd4j.kryo.Nd4jRegistrator;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * DL4J's Kryo registrations, with ND4J arrays copied in bulk ({@link BulkNdArraySerializer}) and Java
 * records through Java serialization: Kryo 4's field serializer cannot rebuild a record (no
 * constructor it can call, final fields it may not set), and the job's task results and broadcasts
 * carry records. Executors in other JVMs deserialize broadcasts that local mode never does: the
 * standalone and YARN cluster tests cover this path.
 */
public final class NdArrayKryoRegistrator implements KryoRegistrator {
    @Override
    public void registerClasses(Kryo kryo) {
        new Nd4jRegistrator().registerClasses(kryo);
        kryo.register(Nd4j.getBackend().getNDArrayClass(), new BulkNdArraySerializer());
        kryo.addDefaultSerializer(Record.class, JavaSerializer.class);
        // Batch sources are broadcast once per job: they hold records, Hadoop configurations and
        // transient caches that only their own Java serialization gets right. A source that is a
        // lambda goes through Kryo's closure serializer, which writes what it captures field by
        // field: the token source and the Hadoop configuration need their own defaults too (the
        // standalone cluster test caught an executor JVM reading a null configuration).
        kryo.addDefaultSerializer(BatchSource.class, JavaSerializer.class);
        kryo.addDefaultSerializer(TokenSource.class, JavaSerializer.class);
        kryo.addDefaultSerializer(HadoopConf.class, JavaSerializer.class);
        // Nor can it add to Java 9+ immutable collections (List.of, Set.of, Map.of), which model
        // configurations hold; they serialize themselves through a replacement object.
        for (Object immutable : List.of(List.of(), List.of(1), List.of(1, 2, 3), Set.of(), Set.of(1),
                Set.of(1, 2, 3), Map.of(), Map.of(1, 1), Map.of(1, 1, 2, 2, 3, 3))) {
            kryo.addDefaultSerializer(immutable.getClass(), JavaSerializer.class);
        }
    }
}
