package io.sparkformer.imports;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigException;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.export.HfImporter;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.FamilyKind;
import io.sparkformer.model.bert.BertClassifierLayer;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.bert.BertLayer;
import io.sparkformer.model.bert.BertSpec;
import io.sparkformer.model.bert.ClassifierHead;
import io.sparkformer.model.layer.TransformerStack;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A Hugging Face BERT as a checkpoint of ours and back: what {@code import} and {@code export}
 * do with a BERT, minus the files. In: a {@code BertForSequenceClassification} becomes a classifier
 * on the [CLS] position with the model's labels; a {@code BertForMaskedLM} the masked-LM graph with
 * its head; a {@code BertModel} (or an ONNX encoder) the masked-LM graph whose head keeps its fresh
 * initialisation (embed and finetune use the encoder alone). Out: the checkpoint's classifier,
 * masked LM or encoder under Hugging Face's names, refusing in one line what BERT cannot express.
 */
public final class BertCheckpoints {

    private BertCheckpoints() {
    }

    /**
     * A step-0 checkpoint of {@code source}.
     *
     * @param configText the user's config (--config), "" for none; {@code overrides} their --set values
     * @throws ConfigException when the user's config disagrees with the model
     */
    public static Checkpoint fromHf(BertImport.Source source, String configText, String configOrigin,
            List<String> overrides) {
        HfBert bert = source.bert();
        Map<String, String> derived = new LinkedHashMap<>(BertImport.settings(bert.encoder().architecture(),
                source.tokenizer()));
        if (bert.classifier() != null) {
            derived.put("finetune.pooling", "first");  // BertForSequenceClassification pools the [CLS] position
        }
        SparkformerConfig effective = HfImporter.effectiveConfig(derived, configText, configOrigin, overrides,
                source.origin());
        int vocab = source.tokenizer().vocabSize();
        Map<String, INDArray> params = new LinkedHashMap<>(BertParameters.toParameters(bert.encoder(),
                effective.model().architecture()));
        ComputationGraph graph;
        if (bert.classifier() == null) {
            graph = BertGraphBuilder.maskedLm(effective, vocab, DataType.FLOAT);
            // The masked-LM graph has no pooler; embed pools the hidden states itself.
            params.remove(ClassifierHead.POOLER_WEIGHT);
            params.remove(ClassifierHead.POOLER_BIAS);
            if (bert.maskedLm() != null) {
                params.putAll(BertParameters.maskedLm(bert.maskedLm()));
            }
        } else {
            List<String> labels = effective.finetune().labels();
            List<String> own = bert.classifier().labels();
            if (!labels.isEmpty() && !labels.equals(own)) {
                throw new ConfigException("finetune.labels " + labels + " disagrees with " + source.origin()
                        + "'s labels " + own + "; leave it out, the labels come from the model");
            }
            effective = effective.withFinetune(effective.finetune().withLabels(own));
            graph = BertGraphBuilder.classifier(effective, vocab, own.size(), DataType.FLOAT);
            params.putAll(BertParameters.classifier(bert.classifier()));
        }
        assign(params, graph.getLayer(BertGraphBuilder.LAYER), source.origin());
        return Checkpoint.of(TrainingState.initial(effective.train().seed()), ConfigLoader.render(effective),
                source.tokenizerJson(), graph);
    }

    /** Copies every imported tensor into the layer's parameter of that name, refusing unknown names and shapes. */
    public static void assign(Map<String, INDArray> params, Layer layer, String origin) {
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            INDArray target = layer.paramTable().get(e.getKey());
            if (target == null) {
                throw new InputException(origin + ": imported tensor " + e.getKey() + " has no parameter of that name"
                        + " in our BERT");
            }
            if (!Arrays.equals(target.shape(), e.getValue().shape())) {
                throw new InputException(origin + ": imported tensor " + e.getKey() + " has shape "
                        + Arrays.toString(e.getValue().shape()) + " but our BERT's is " + Arrays.toString(target.shape()));
            }
            target.assign(e.getValue());
        }
    }

    /**
     * The Hugging Face model of a BERT checkpoint: a classifier as {@code BertForSequenceClassification},
     * a masked LM as {@code BertForMaskedLM}, or, with {@code encoderOnly} (either kind), the encoder
     * as {@code BertModel} (with the classifier's pooler, if any).
     *
     * @param uri names the checkpoint in messages
     * @throws InputException one line naming the setting when the checkpoint is not a BERT Hugging
     *     Face's classes compute (pre-LN, sinusoidal or scaled positions, mean pooling)
     */
    public static HfBert toHf(Checkpoint checkpoint, boolean encoderOnly, String uri) {
        FamilyKind kind = FamilyKind.of(checkpoint).orElse(null);
        if (kind != FamilyKind.BERT_MLM && kind != FamilyKind.BERT_CLASSIFIER) {
            throw new InputException("checkpoint " + uri + " is not a BERT");
        }
        BertLayer layer = BertGraphBuilder.layer(checkpoint.model(), BertLayer.class, "checkpoint " + uri);
        BertSpec spec = layer.spec();
        Architecture a = spec.arch();
        String refused = null;
        if (!a.postNorm()) {
            refused = "model.norm = pre (Hugging Face's BERT is post-LayerNorm; import a BERT or train with"
                    + " model.norm = post)";
        } else if (a.sinusoidalPositions()) {
            refused = "model.positions = sinusoidal (BERT learns its positions)";
        } else if (a.scaleEmbeddings()) {
            refused = "model.scaleEmbeddings = true (BERT does not scale its embeddings)";
        } else if (!encoderOnly && layer instanceof BertClassifierLayer c
                && c.pooling() != FinetuneConfig.Pooling.FIRST) {
            refused = "finetune.pooling = " + c.pooling().name().toLowerCase(java.util.Locale.ROOT)
                    + " (BertForSequenceClassification pools [CLS]; --encoder writes the encoder alone)";
        }
        if (refused != null) {
            throw new InputException("checkpoint " + uri + " cannot be exported as a Hugging Face BERT: " + refused);
        }
        Map<String, INDArray> params = new LinkedHashMap<>(checkpoint.model().getLayer(BertGraphBuilder.LAYER)
                .paramTable());
        // No token-type table is one of a single row of zeros: type 0 adds nothing.
        int types = Math.max(1, a.typeVocabSize());
        params.putIfAbsent(TransformerStack.TYPE_EMBEDDING, Nd4j.zeros(
                params.get(TransformerStack.TOKEN_EMBEDDING).dataType(), types, a.embedDim()));
        BertArchitecture b = new BertArchitecture(a.layers(), a.embedDim(), a.heads(), a.ffnDim(), spec.vocabSize(),
                spec.contextLength(), types, a.layerNormEpsilon(), a.activation());
        String modelClass = encoderOnly ? HfBertConfig.ENCODER
                : kind == FamilyKind.BERT_CLASSIFIER ? HfBertConfig.CLASSIFIER : HfBertConfig.MASKED_LM;
        List<String> labels = modelClass.equals(HfBertConfig.CLASSIFIER) ? checkpoint.config().finetune().labels()
                : List.of();
        return BertCheckpointWeights.fromParameters(params, b, modelClass, labels, checkpoint.tokenizerJson());
    }
}
