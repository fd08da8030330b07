package io.sparkformer.job.train;

import io.sparkformer.model.optim.FlatGradientUpdater;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Collection;

/**
 * DL4J's parameter-averaging worker with the model kept between rounds: instead of a new
 * ComputationGraph from the round's configuration each round, a task borrows an idle one built
 * earlier in this executor for the same training master, loads the round's parameters and updater
 * state into it ({@link RoundStart}), and gives it back once its result is copied out. The model's
 * state is exactly what a fresh one would hold (parameters, updater state; the iteration count is
 * set per step by {@link GlobalStepHook}), so the result is bit-identical (SparkEquivalenceTest).
 */
final class ReusingWorker extends ParameterAveragingTrainingWorker {
    private final RoundStart start;
    private final String modelKey;
    private final boolean saveUpdater;

    ReusingWorker(RoundStart start, String modelKey, boolean saveUpdater,
                  WorkerConfiguration configuration, Collection<TrainingHook> hooks) {
        // DL4J's worker reads its broadcast only in the methods for building a model, replaced here.
        super(null, saveUpdater, configuration, hooks, null, null);
        this.start = start;
        this.modelKey = modelKey;
        this.saveUpdater = saveUpdater;
    }

    @Override
    public ComputationGraph getInitialModelGraph() {
        NetBroadcastTuple tuple = start.tuple();
        ComputationGraph net = WorkerModels.borrow(modelKey, start.round(), () -> FlatGradientUpdater.install(build(tuple)));
        net.setParams(tuple.getParameters());
        if (tuple.getUpdaterState() != null) {
            net.getUpdater().getStateViewArray().assign(tuple.getUpdaterState());
        }
        net.getConfiguration().setIterationCount(tuple.getGraphConfiguration().getIterationCount());
        net.getConfiguration().setEpochCount(tuple.getGraphConfiguration().getEpochCount());
        Nd4j.getExecutioner().commit();
        return net;
    }

    /** DL4J's worker model: the round's configuration, with parameters and updater state of its own. */
    private static ComputationGraph build(NetBroadcastTuple tuple) {
        ComputationGraph net = new ComputationGraph(tuple.getGraphConfiguration().clone());
        net.init(tuple.getParameters().unsafeDuplication(), false);
        if (tuple.getUpdaterState() != null) {
            net.setUpdater(new ComputationGraphUpdater(net, tuple.getUpdaterState().unsafeDuplication()));
        }
        return net;
    }

    /**
     * The result is the model's own parameter and updater arrays, not copies: copies were 3 x params
     * floats of fresh off-heap memory per worker and round that only a garbage collection returned
     * (baby GPT: 19.5 MB a round in local[2]). The model goes back to the pool now, but no task
     * borrows it before the next round, when Spark has long serialized this result, or the driver of a
     * local master summed it by reference ({@link WorkerModels}).
     */
    @Override
    public ParameterAveragingTrainingResult getFinalResult(ComputationGraph network) {
        INDArray updaterState = saveUpdater && network.getUpdater() != null
                ? network.getUpdater().getStateViewArray() : null;
        ParameterAveragingTrainingResult result = new ParameterAveragingTrainingResult(network.params(),
                updaterState, network.score(), null, null, null);
        WorkerModels.giveBack(modelKey, network, start.round());
        return result;
    }
}
