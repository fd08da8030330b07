package io.sparkformer.job.train;

import io.sparkformer.model.kernel.Kernels;
import org.apache.spark.TaskContext;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.io.Serializable;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the step where training first went non-finite, on the executors, where it happens: the
 * driver only sees the averaged result of a round, in which one bad worker has already spread NaN
 * into every parameter. Each worker checks its parameters when its part of the round starts and
 * after every update (one sum over the parameter vector per step), and its loss at every step; the
 * first bad step of each task is reported through a Spark accumulator (updates of failed task
 * attempts are dropped by Spark, so a retried worker reports once).
 */
final class NonFiniteWatch implements TrainingHook {
    /** What one worker saw at its first non-finite step (1-based). */
    record Event(long step, int worker, String what) implements Serializable {
        @Override
        public String toString() {
            return "step " + step + " on worker " + worker + ": " + what;
        }
    }

    private final CollectionAccumulator<Event> events;
    private long firstStep;
    private int seen;
    private boolean reported;

    NonFiniteWatch(CollectionAccumulator<Event> events) {
        this.events = events;
    }

    /** On the driver before a round; each task receives its own copy of this state. */
    void startRound(long step) {
        events.reset();
        firstStep = step;
        seen = 0;
        reported = false;
    }

    /** After a round, on the driver: the earliest bad step any worker reported (lowest worker on a tie). */
    Optional<Event> first() {
        return events.value().stream().min(Comparator.comparingLong(Event::step).thenComparingInt(Event::worker));
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
        before(model);
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
        before(model);
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
        after(model);
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
        after(model);
    }

    private void before(Model model) {
        if (seen == 0 && !reported && model instanceof ComputationGraph g) {
            firstNonFinite(g).ifPresent(p -> report("parameter " + p + " was already non-finite when the step began"));
        }
    }

    private void after(Model model) {
        if (!reported && model instanceof ComputationGraph g) {
            double loss = g.score();
            if (!Double.isFinite(loss)) {
                report("the loss was " + loss + " although every parameter was finite");
            } else {
                firstNonFinite(g).ifPresent(p -> report("its update made parameter " + p + " non-finite (loss " + loss
                        + ")"));
            }
        }
        seen++;
    }

    private void report(String what) {
        TaskContext task = TaskContext.get();
        events.add(new Event(firstStep + seen + 1, task == null ? 0 : task.partitionId(), what));
        reported = true;
    }

    /**
     * The first parameter, in the model's parameter order, holding NaN or infinity. One read of the
     * whole parameter vector decides whether to look further: a Vector API pass where the kernels run
     * (libnd4j's sum, which NaN and infinity also survive, was 4.6% of a GEMM-bound {@code local[2]}
     * step's samples).
     */
    static Optional<String> firstNonFinite(ComputationGraph graph) {
        INDArray params = graph.params();
        if (params == null || (Kernels.accepts(Kernels.Kernel.UPDATER, params) ? Kernels.allFinite(params)
                : Double.isFinite(params.sumNumber().doubleValue()))) {
            return Optional.empty();
        }
        long layersWithParams = java.util.Arrays.stream(graph.getLayers()).filter(l -> l.numParams() > 0).count();
        for (Layer layer : graph.getLayers()) {
            for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
                if (e.getValue().isNaN().any() || e.getValue().isInfinite().any()) {
                    return Optional.of(layersWithParams > 1 ? layer.conf().getLayer().getLayerName() + "/" + e.getKey()
                            : e.getKey());
                }
            }
        }
        return Optional.empty();   // a sum that overflowed, not a non-finite value
    }
}
