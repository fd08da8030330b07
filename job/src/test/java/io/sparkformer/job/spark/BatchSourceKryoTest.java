package io.sparkformer.job.spark;

import io.sparkformer.data.BatchSource;
import io.sparkformer.data.HadoopConf;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.reflect.ClassTag$;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Batch sources reach executors as a broadcast serialized by the job's Kryo. A source that is a
 * lambda capturing a Hadoop configuration (as the GPT's planned batches are) must arrive with that
 * configuration: Kryo's closure serializer writes the captured values with Kryo's own serializers,
 * which would drop the configuration HadoopConf only writes in its Java serialization.
 */
class BatchSourceKryoTest {

    @Test
    void aLambdaSourceKeepsItsCapturedHadoopConfigurationThroughTheJobsKryo() {
        Configuration conf = new Configuration(false);
        conf.set("sparkformer.test.key", "value-42");
        HadoopConf captured = new HadoopConf(conf);
        BatchSource source = (step, worker) -> {
            String value = captured.get() == null ? null : captured.get().get("sparkformer.test.key");
            if (!"value-42".equals(value)) {
                throw new IllegalStateException("captured configuration arrived as " + value);
            }
            return new DataSet(Nd4j.scalar((float) step), Nd4j.scalar((float) worker));
        };
        SerializerInstance kryo = new KryoSerializer(SparkContexts.withJobDefaults(new SparkConf(false))).newInstance();
        BatchSource copy = (BatchSource) kryo.<Object>deserialize(kryo.serialize(source, ClassTag$.MODULE$.AnyRef()),
                ClassTag$.MODULE$.AnyRef());

        DataSet batch = copy.batch(7, 1);
        assertEquals(7f, batch.getFeatures().getFloat(0));
        assertEquals(1f, batch.getLabels().getFloat(0));
    }
}
