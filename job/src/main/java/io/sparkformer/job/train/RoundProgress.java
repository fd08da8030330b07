package io.sparkformer.job.train;

import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import scala.Tuple4;
import scala.collection.Iterator;

import java.util.HashMap;
import java.util.Map;

/**
 * Steps done inside the running round, as the executors report them: a driver listener reads the
 * per-task values of a step-counting accumulator from executor heartbeats (tasks still running) and
 * from task ends. The driver's own accumulator value only changes when a task ends, which for a
 * round is when it is over.
 */
public final class RoundProgress extends SparkListener {
    private final long accumulatorId;
    private final int workers;
    private final Map<Long, Long> byTask = new HashMap<>();
    private int stage = -1;

    /** Progress counted by the accumulator {@code accumulatorId}, over {@code workers} tasks a round. */
    public RoundProgress(long accumulatorId, int workers) {
        this.accumulatorId = accumulatorId;
        this.workers = workers;
    }

    /** Forgets the last round (call before a round's job starts). */
    public synchronized void reset() {
        byTask.clear();
        stage = -1;
    }

    /**
     * Steps every worker has finished in this round, as far as the driver has heard: the mean over the
     * round's workers of each task's count (a retried task counts from zero again).
     */
    public synchronized long stepsDone() {
        long sum = 0;
        for (long v : byTask.values()) {
            sum += v;
        }
        return sum / Math.max(1, workers);
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        Iterator<?> it = seq(update, "accumUpdates").iterator();
        while (it.hasNext()) {
            Tuple4<?, ?, ?, ?> task = (Tuple4<?, ?, ?, ?>) it.next();
            record((Long) task._1(), (Integer) task._2(), (scala.collection.Iterable<?>) task._4());
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.taskInfo() != null && end.reason() instanceof org.apache.spark.Success$) {
            record(end.taskInfo().taskId(), end.stageId(), seq(end.taskInfo(), "accumulables"));
        }
    }

    /**
     * A Seq-valued Spark getter, called reflectively: its return type is scala.collection.Seq in Scala
     * 2.12 (Spark 3.5) and scala.collection.immutable.Seq in 2.13 (Spark 4), so a direct call compiled
     * against one line is a NoSuchMethodError on the other, thrown in the listener thread, which stops
     * the SparkContext. Both are scala.collection.Iterable.
     */
    private static scala.collection.Iterable<?> seq(Object owner, String getter) {
        try {
            return (scala.collection.Iterable<?>) owner.getClass().getMethod(getter).invoke(owner);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Spark " + owner.getClass().getSimpleName() + "." + getter + "()", e);
        }
    }

    private synchronized void record(long taskId, int stageId, scala.collection.Iterable<?> infos) {
        Iterator<?> it = infos.iterator();
        while (it.hasNext()) {
            AccumulableInfo info = (AccumulableInfo) it.next();
            if (info.id() != accumulatorId || info.update().isEmpty()) {
                continue;
            }
            if (stageId > stage) {   // a later stage (a new round that began before reset) restarts the count
                byTask.clear();
                stage = stageId;
            } else if (stageId < stage) {
                return;   // a late heartbeat of an earlier round
            }
            byTask.merge(taskId, ((Number) info.update().get()).longValue(), Math::max);
        }
    }
}
