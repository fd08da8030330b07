package io.sparkformer.job.translate;

import io.sparkformer.data.BatchSource;
import io.sparkformer.data.PairBatches;
import io.sparkformer.data.TranslationPairs;
import io.sparkformer.job.spark.SparkContexts;
import io.sparkformer.tokenize.TranslationTokens;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import scala.reflect.ClassTag$;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The training pairs reach executors as a Spark broadcast, which the job serialises with Kryo:
 * Kryo cannot build the Java records they are made of, so the job's registrator sends every
 * batch source through its Java serialisation. After Kryo and back, every worker's batches are the driver's.
 */
class PairBatchesKryoTest {

    @Test
    void broadcastPairBatchesSurviveTheJobsKryoUnchanged() {
        Random r = new Random(4);
        int n = 50;
        int[][] sources = new int[n][];
        int[][] targets = new int[n][];
        for (int i = 0; i < n; i++) {
            sources[i] = r.ints(1 + r.nextInt(6), 0, 20).toArray();
            targets[i] = r.ints(1 + r.nextInt(6), 0, 20).toArray();
        }
        TranslationTokens tokens = new TranslationTokens(20, 21, 22, 20);
        PairBatches batches = new PairBatches(new TranslationPairs(sources, targets), tokens, tokens, 8, 2, 9);
        batches.batch(3, 1);   // fills the transient epoch cache, which must not travel or matter
        SerializerInstance kryo = new KryoSerializer(SparkContexts.withJobDefaults(new SparkConf(false))).newInstance();
        ByteBuffer shipped = kryo.serialize(batches, ClassTag$.MODULE$.AnyRef());
        BatchSource copy = (BatchSource) kryo.<Object>deserialize(shipped, ClassTag$.MODULE$.AnyRef());
        for (long step = 0; step < 12; step++) {
            for (int worker = 0; worker < 2; worker++) {
                DataSet a = batches.batch(step, worker);
                DataSet b = copy.batch(step, worker);
                assertEquals(a.getFeatures(), b.getFeatures(), "step " + step + " worker " + worker);
                assertEquals(a.getLabels(), b.getLabels());
                assertEquals(a.getFeaturesMaskArray(), b.getFeaturesMaskArray());
                assertEquals(a.getLabelsMaskArray(), b.getLabelsMaskArray());
            }
        }
    }
}
