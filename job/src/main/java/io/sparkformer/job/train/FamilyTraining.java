package io.sparkformer.job.train;

import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.config.TrainConfig;
import io.sparkformer.data.BatchPlan;
import io.sparkformer.data.BatchSource;
import io.sparkformer.data.Batches;
import io.sparkformer.data.MlmBatches;
import io.sparkformer.data.MlmMasking;
import io.sparkformer.data.TokenSource;
import io.sparkformer.model.FamilyKind;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What {@code train} does differently per model family: the network, the plan of stream windows,
 * the training batches and the validation batches. GPT: next-token prediction over windows of
 * {@code contextLength + 1}; BERT: masked-LM over [CLS] window [SEP] sequences.
 */
interface FamilyTraining {

    ComputationGraph newGraph(int vocabSize);

    BatchPlan plan(long trainTokens);

    BatchSource trainBatches(TokenSource train, BatchPlan plan);

    Validation validation(TokenSource val);

    static FamilyTraining of(SparkformerConfig config, Tokenizer tokenizer) {
        return FamilyKind.of(config) == FamilyKind.BERT_MLM ? new Bert(config, BertTokens.of(tokenizer))
                : new Gpt(config);
    }

    /** Decoder-only causal language model. */
    record Gpt(SparkformerConfig config) implements FamilyTraining {
        @Override
        public ComputationGraph newGraph(int vocabSize) {
            return GptGraphBuilder.build(config, vocabSize, DataType.FLOAT);
        }

        @Override
        public BatchPlan plan(long trainTokens) {
            TrainConfig t = config.train();
            return new BatchPlan(t.seed(), config.model().contextLength(), t.batchSize(), config.spark().workers(),
                    trainTokens);
        }

        @Override
        public BatchSource trainBatches(TokenSource train, BatchPlan plan) {
            return Batches.planned(train, plan);
        }

        @Override
        public Validation validation(TokenSource val) {
            int context = config.model().contextLength();
            return new Validation(val, context, config, (starts, first) -> Batches.of(val, starts, context));
        }
    }

    /** Masked-LM pretraining of a bidirectional encoder. */
    record Bert(SparkformerConfig config, BertTokens tokens) implements FamilyTraining {
        @Override
        public ComputationGraph newGraph(int vocabSize) {
            return BertGraphBuilder.maskedLm(config, vocabSize, DataType.FLOAT);
        }

        @Override
        public BatchPlan plan(long trainTokens) {
            TrainConfig t = config.train();
            return MlmBatches.plan(t.seed(), config.model().contextLength(), t.batchSize(), config.spark().workers(),
                    trainTokens);
        }

        @Override
        public BatchSource trainBatches(TokenSource train, BatchPlan plan) {
            return batches(train).planned(plan);
        }

        @Override
        public Validation validation(TokenSource val) {
            return new Validation(val, BertTokens.textLength(config.model().contextLength()), config, batches(val)::of);
        }

        private MlmBatches batches(TokenSource source) {
            MlmMasking masking = new MlmMasking(config.bert().maskProbability(), config.train().seed(), tokens);
            return new MlmBatches(source, masking, tokens, config.model().contextLength());
        }
    }
}
