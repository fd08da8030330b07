package io.sparkformer.imports;

import io.sparkformer.InputException;
import io.sparkformer.UserPaths;
import io.sparkformer.export.FloatTensor;
import io.sparkformer.export.HfFiles;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.tokenize.WordPieceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The first half of importing a pretrained BERT (ONNX file or Hugging Face directory): its weights
 * and WordPiece tokenizer, read and checked against each other, and the config keys they decide.
 * The tokenizer is kept as the file's own text, so the checkpoint holds the original tokenizer.json.
 */
public final class BertImport {

    /** Hugging Face BERT's dropout (hidden_dropout_prob), the default a fine-tune may override. */
    public static final double DROPOUT = 0.1;

    /**
     * A pretrained BERT ready to become a checkpoint.
     *
     * @param tokenizerJson the tokenizer file's text as read, so it reloads id for id
     */
    public record Source(HfBert bert, WordPieceTokenizer tokenizer, String tokenizerJson, String origin) {}

    private BertImport() {
    }

    /**
     * @param tokenizerUri a tokenizer.json; null for the one in the directory, or beside the ONNX file
     * @param contextLength the longest sequence the checkpoint takes; 0 for the model's
     *     max_position_embeddings. A shorter one keeps the first rows of the position table (the
     *     others would never be used) and makes every step cheaper.
     * @throws InputException one line naming the file when the model, its tokenizer or their
     *     agreement is not what a BERT checkpoint needs
     */
    public static Source read(String fromUri, String tokenizerUri, int contextLength, Configuration conf) {
        ModelSource kind = ModelSource.of(fromUri, conf);
        if (!kind.isBert()) {
            throw new InputException(fromUri + " is not a BERT (config.json's model_type is gpt2)");
        }
        HfBert bert = kind == ModelSource.BERT_ONNX
                ? new HfBert(OnnxBertImporter.read(bytes(fromUri, conf)), null, null)
                : HfBertReader.read(fromUri, conf);
        Path tokenizerFile = tokenizerUri != null ? UserPaths.of(tokenizerUri, "--tokenizer")
                : kind == ModelSource.BERT_ONNX ? new Path(new Path(fromUri).getParent(), HfFiles.TOKENIZER)
                : new Path(fromUri, HfFiles.TOKENIZER);
        String json = tokenizerUri == null && bert.tokenizerJson() != null ? bert.tokenizerJson()
                : text(tokenizerFile, conf, kind);
        WordPieceTokenizer tokenizer = wordPiece(json, tokenizerFile);
        int vocab = bert.encoder().architecture().vocab();
        if (tokenizer.vocabSize() != vocab) {
            throw new InputException(tokenizerFile + " has " + tokenizer.vocabSize() + " tokens but " + fromUri
                    + " has " + vocab + " word embeddings; they must be the same model's");
        }
        return new Source(withContext(bert, contextLength, fromUri), tokenizer, json, fromUri);
    }

    /** The config keys the imported model and tokenizer decide, as {@code --set} values (model.* as issue 17 names them). */
    public static Map<String, String> settings(BertArchitecture a, Tokenizer tokenizer) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("model.family", "bert");
        s.put("model.layers", Integer.toString(a.layers()));
        s.put("model.heads", Integer.toString(a.heads()));
        s.put("model.embedDim", Integer.toString(a.hidden()));
        s.put("model.ffnDim", Integer.toString(a.ffn()));
        s.put("model.contextLength", Integer.toString(a.maxPositions()));
        s.put("model.dropout", Double.toString(DROPOUT));
        s.put("model.positions", "learned");
        s.put("model.tiedEmbeddings", "true");
        s.put("model.scaleEmbeddings", "false");
        s.put("model.layerNormEpsilon", Double.toString(a.layerNormEpsilon()));
        s.put("model.norm", "post");
        s.put("model.activation", a.activation().configName());
        s.put("model.typeVocabSize", Integer.toString(a.typeVocab()));
        s.put("tokenizer.type", tokenizer.type());
        s.put("tokenizer.vocabSize", Integer.toString(tokenizer.vocabSize()));
        return s;
    }

    /** The model with its position table cut to {@code contextLength} rows (0 = unchanged). */
    static HfBert withContext(HfBert bert, int contextLength, String origin) {
        BertArchitecture a = bert.encoder().architecture();
        if (contextLength == 0 || contextLength == a.maxPositions()) {
            return bert;
        }
        if (contextLength < 2 || contextLength > a.maxPositions()) {
            throw new InputException("--context-length " + contextLength + " must be in [2, " + a.maxPositions()
                    + "] (" + origin + " has " + a.maxPositions() + " positions)");
        }
        BertArchitecture cut = new BertArchitecture(a.layers(), a.hidden(), a.heads(), a.ffn(), a.vocab(), contextLength,
                a.typeVocab(), a.layerNormEpsilon(), a.activation());
        Map<String, FloatTensor> tensors = new LinkedHashMap<>(bert.encoder().tensors());
        FloatTensor positions = tensors.get(BertWeights.POSITION_EMBEDDINGS);
        tensors.put(BertWeights.POSITION_EMBEDDINGS, new FloatTensor(new long[] {contextLength, a.hidden()},
                Arrays.copyOf(positions.data(), contextLength * a.hidden())));
        return new HfBert(new BertWeights(cut, tensors), bert.classifier(), bert.maskedLm(), bert.tokenizerJson());
    }

    private static WordPieceTokenizer wordPiece(String json, Path file) {
        Tokenizer tokenizer = HfFiles.tokenizer(json, file);
        if (!(tokenizer instanceof WordPieceTokenizer wordPiece)) {
            throw new InputException(file + ": a BERT import needs a WordPiece tokenizer, got " + tokenizer.type());
        }
        try {
            BertTokens.of(wordPiece);
        } catch (IllegalArgumentException e) {
            throw new InputException(file + ": " + e.getMessage(), e);
        }
        return wordPiece;
    }

    private static String text(Path file, Configuration conf, ModelSource kind) {
        try {
            FileSystem fs = HfFiles.fileSystem(file, conf);
            if (!fs.exists(file)) {
                throw new InputException(fs.makeQualified(file) + " does not exist; a BERT checkpoint needs its"
                        + " tokenizer.json" + (kind == ModelSource.BERT_ONNX ? " (beside the ONNX file, or --tokenizer FILE)"
                        : " (in the model directory, or --tokenizer FILE)"));
            }
            return HfFiles.readText(fs, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] bytes(String uri, Configuration conf) {
        Path path = UserPaths.of(uri, "--from");
        try {
            FileSystem fs = HfFiles.fileSystem(path, conf);
            try (InputStream in = fs.open(path)) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }
}
