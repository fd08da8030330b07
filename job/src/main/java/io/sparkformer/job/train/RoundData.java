package io.sparkformer.job.train;

import io.sparkformer.data.BatchSource;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

/**
 * The minibatches of one averaging round as an RDD with one partition per worker, each holding that
 * worker's batches for steps [firstStep, firstStep + steps) in order. Batches are built on the
 * executors by a {@link BatchSource}, so only it (a plan, a data reference or a broadcast) travels
 * from the driver.
 */
final class RoundData implements FlatMapFunction<Iterator<Integer>, DataSet> {
    private static final Logger LOG = LoggerFactory.getLogger(RoundData.class);
    private static final AtomicBoolean FIRST_IN_JVM = new AtomicBoolean(true);
    private final BatchSource batches;
    private final long firstStep;
    private final int steps;
    private final int threads;

    private RoundData(BatchSource batches, long firstStep, int steps, int threads) {
        this.batches = batches;
        this.firstStep = firstStep;
        this.steps = steps;
        this.threads = threads;
    }

    static JavaRDD<DataSet> of(JavaSparkContext sc, BatchSource batches, int workers, long firstStep, int steps,
                               int threads) {
        List<Integer> ids = IntStream.range(0, workers).boxed().toList();
        return sc.parallelize(ids, workers).mapPartitions(new RoundData(batches, firstStep, steps, threads));
    }

    @Override
    public Iterator<DataSet> call(Iterator<Integer> workerIds) {
        // ND4J's thread pool is per JVM; one task's share of the executor's cores (see ThreadBudget).
        // OpenBLAS keeps its own process-wide pool: left at all cores, two 1-thread workers in one
        // JVM ran GEMMs on 4 threads over 2 cores (local[2] baby GPT: 4,185 -> 6,124 tok/s capped).
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        List<DataSet> out = new ArrayList<>();
        while (workerIds.hasNext()) {
            int worker = workerIds.next();
            TaskContext task = TaskContext.get();
            int attempt = task == null ? 0 : task.attemptNumber();
            if (FIRST_IN_JVM.getAndSet(false) || attempt > 0 || LOG.isDebugEnabled()) {
                // At INFO once per JVM (which process trains; the cluster tests read this line) and for
                // every retried task: a worker lost mid-round recomputes its batches from the plan.
                LOG.info("Worker {}: steps {}-{} in executor {} (pid {}, {} ND4J threads){}", worker, firstStep + 1,
                        firstStep + steps, SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId(),
                        ProcessHandle.current().pid(), threads,
                        attempt > 0 ? ", task attempt " + (attempt + 1) + " after a failure" : "");
            }
            for (long s = firstStep; s < firstStep + steps; s++) {
                out.add(batches.batch(s, worker));
            }
        }
        return out.iterator();
    }
}
