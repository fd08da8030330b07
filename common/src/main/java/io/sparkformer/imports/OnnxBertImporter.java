package io.sparkformer.imports;

import io.sparkformer.InputException;
import io.sparkformer.export.FloatTensor;
import io.sparkformer.imports.OnnxGraph.Node;
import io.sparkformer.imports.OnnxGraph.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Reads the weights of a BERT encoder exported to ONNX (PyTorch's exporter names most of them
 * {@code onnx::MatMul_787}) by following the graph, the way one reads a BERT forward pass:
 * <ul>
 *   <li>three Gathers on float tables are the word, position and token-type embeddings (by their
 *       row counts: largest, middle, smallest);</li>
 *   <li>LayerNorms (the ONNX op or PyTorch's decomposition ReduceMean, Sub, Pow, ReduceMean,
 *       Add eps, Sqrt, Div, Mul gamma, Add beta) in graph order: the first closes the embeddings,
 *       then two per layer;</li>
 *   <li>each layer LayerNorm's input is residual + linear (MatMul by a constant, Add a constant
 *       bias). Behind the first one's linear sits attention: the MatMul of Softmax probabilities
 *       and values, the Softmax over the MatMul of queries and keys, each of those a linear of the
 *       block's input. Behind the second one's linear sits GELU (with Erf) over the intermediate
 *       linear.</li>
 * </ul>
 * The wiring is checked as it is read (each block's linears and residuals take the previous
 * LayerNorm's output: post-LN), so a different architecture is refused with one line saying
 * where it departs instead of being imported wrongly.
 */
public final class OnnxBertImporter {

    private static final Set<String> SHAPE_OPS = Set.of("Reshape", "Transpose", "Cast", "Squeeze", "Unsqueeze");

    private final OnnxGraph graph;
    private final Map<String, Node> producers = new HashMap<>();
    private final Map<String, List<Node>> consumers = new HashMap<>();

    private OnnxBertImporter(OnnxGraph graph) {
        this.graph = graph;
        for (Node node : graph.nodes()) {
            for (String out : node.outputs()) {
                producers.put(out, node);
            }
            for (String in : node.inputs()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(node);
            }
        }
    }

    /**
     * The BERT weights and sizes in an ONNX file's bytes.
     *
     * @throws InputException naming what is not a BERT (an unsupported op, a missing or extra
     *     part, a shape) in one line
     */
    public static BertWeights read(byte[] onnx) {
        return new OnnxBertImporter(OnnxGraph.parse(onnx)).weights();
    }

    private record Linear(String input, Tensor weight, Tensor bias) {}

    private record Norm(String input, String output, Tensor gamma, Tensor beta, double epsilon) {}

    private BertWeights weights() {
        for (Node node : graph.nodes()) {
            if (!node.domain().isEmpty() && !node.domain().equals("ai.onnx")) {
                throw fail("op " + node.domain() + "." + node.opType() + " (node '" + node.name()
                        + "') is not standard ONNX; export the model without runtime-specific fusions");
            }
        }
        List<Norm> norms = norms();
        if (norms.size() < 3 || norms.size() % 2 == 0) {
            throw fail("expected 1 + 2 x layers LayerNorms, found " + norms.size());
        }
        int layers = (norms.size() - 1) / 2;
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        int hidden = embeddings(norms.get(0), out);

        String x = norms.get(0).output();
        int heads = 0;
        int ffn = 0;
        for (int i = 0; i < layers; i++) {
            String p = BertWeights.layer(i);
            Norm attentionNorm = norms.get(1 + 2 * i);
            Linear dense = residualLinear(attentionNorm, x, "layer " + i + " attention");
            Node context = back(dense.input(), SHAPE_OPS, this::isActivationMatMul, "layer " + i
                    + " attention output: no MatMul of probabilities and values");
            Node softmax = back(context.inputs().get(0), Set.of("Cast"), n -> n.opType().equals("Softmax"),
                    "layer " + i + ": the attention context is not Softmax(...) x values");
            Node scores = back(softmax.inputs().get(0), Set.of("Add", "Div", "Mul", "Sub", "Cast", "Where"),
                    this::isActivationMatMul, "layer " + i + ": no query-key MatMul before the Softmax");
            int layerHeads = heads(chain(scores, softmax, i), hidden, i);
            Linear query = linearBehind(scores.inputs().get(0), "layer " + i + " query");
            Linear key = linearBehind(scores.inputs().get(1), "layer " + i + " key");
            Linear value = linearBehind(context.inputs().get(1), "layer " + i + " value");
            for (Linear l : List.of(query, key, value)) {
                requireInput(l, x, "layer " + i + " attention");
            }
            put(out, p + "attention.self.query", query, hidden, hidden);
            put(out, p + "attention.self.key", key, hidden, hidden);
            put(out, p + "attention.self.value", value, hidden, hidden);
            put(out, p + "attention.output.dense", dense, hidden, hidden);
            putNorm(out, p + "attention.output.LayerNorm", attentionNorm, hidden);

            Norm outputNorm = norms.get(2 + 2 * i);
            Linear down = residualLinear(outputNorm, attentionNorm.output(), "layer " + i + " feed-forward");
            List<Node> activation = new ArrayList<>();
            Linear up = linearBehind(down.input(), Set.of("Mul", "Div", "Add", "Erf", "Cast", "Tanh", "Pow"),
                    "layer " + i + " intermediate", activation);
            if (activation.stream().anyMatch(n -> n.opType().equals("Tanh"))) {
                throw fail("layer " + i + ": the feed-forward activation is the tanh GELU, not BERT's exact one");
            }
            if (activation.stream().noneMatch(n -> n.opType().equals("Erf"))) {
                throw fail("layer " + i + ": the feed-forward activation is not the exact (erf) GELU");
            }
            requireInput(up, attentionNorm.output(), "layer " + i + " feed-forward");
            int layerFfn = (int) up.weight().dims()[1];
            put(out, p + "intermediate.dense", up, layerFfn, hidden);
            put(out, p + "output.dense", down, hidden, layerFfn);
            putNorm(out, p + "output.LayerNorm", outputNorm, hidden);
            if (i > 0 && (layerHeads != heads || layerFfn != ffn)) {
                throw fail("layer " + i + " has " + layerHeads + " heads and ffn " + layerFfn + ", layer 0 has "
                        + heads + " and " + ffn);
            }
            heads = layerHeads;
            ffn = layerFfn;
            x = outputNorm.output();
        }
        pooler(x, hidden, out);
        double epsilon = norms.get(0).epsilon();
        for (Norm norm : norms) {
            if (norm.epsilon() != epsilon) {
                throw fail("LayerNorm epsilons differ: " + epsilon + " and " + norm.epsilon());
            }
        }
        BertArchitecture architecture = new BertArchitecture(layers, hidden, heads, ffn,
                (int) out.get(BertWeights.WORD_EMBEDDINGS).shape()[0],
                (int) out.get(BertWeights.POSITION_EMBEDDINGS).shape()[0],
                (int) out.get(BertWeights.TOKEN_TYPE_EMBEDDINGS).shape()[0], epsilon);
        return new BertWeights(architecture, out);
    }

    /** Word, position and token-type tables: the Gathers summed into the first LayerNorm. */
    private int embeddings(Norm norm, Map<String, FloatTensor> out) {
        List<Tensor> tables = new ArrayList<>();
        Deque<String> todo = new ArrayDeque<>(List.of(norm.input()));
        while (!todo.isEmpty()) {
            Node node = producers.get(todo.pop());
            if (node == null) {
                continue;
            }
            if (node.opType().equals("Add")) {
                todo.addAll(node.inputs());
            } else if (node.opType().equals("Gather") && floatConstant(node.inputs().get(0), 2) != null) {
                tables.add(floatConstant(node.inputs().get(0), 2));
            }
        }
        if (tables.size() != 3) {
            throw fail("the embeddings sum " + tables.size() + " tables, expected word, position and token type");
        }
        tables.sort(Comparator.comparingLong((Tensor t) -> t.dims()[0]).reversed());
        int hidden = (int) tables.get(0).dims()[1];
        out.put(BertWeights.WORD_EMBEDDINGS, copy(tables.get(0)));
        out.put(BertWeights.POSITION_EMBEDDINGS, copy(tables.get(1)));
        out.put(BertWeights.TOKEN_TYPE_EMBEDDINGS, copy(tables.get(2)));
        for (Tensor t : tables) {
            if (t.dims()[1] != hidden) {
                throw fail("embedding table '" + t.name() + "' has shape " + t.shapeText() + ", width " + hidden
                        + " expected");
            }
        }
        putNorm(out, "embeddings.LayerNorm", norm, hidden);
        return hidden;
    }

    /** The pooler (Gather [CLS], linear, Tanh) when the graph computes it from the last layer. */
    private void pooler(String last, int hidden, Map<String, FloatTensor> out) {
        for (Node tanh : graph.nodes()) {
            if (!tanh.opType().equals("Tanh")) {
                continue;
            }
            Linear dense = linearBehind(tanh.inputs().get(0), Set.of(), "pooler", new ArrayList<>());
            Node gather = producers.get(dense.input());
            if (gather == null || !gather.opType().equals("Gather") || !gather.inputs().get(0).equals(last)) {
                throw fail("a Tanh that is not BERT's pooler over the last layer (node '" + tanh.name() + "')");
            }
            put(out, "pooler.dense", dense, hidden, hidden);
        }
    }

    /** The LayerNorm's input must be residual + linear; returns the linear, checks the residual. */
    private Linear residualLinear(Norm norm, String residual, String where) {
        Node add = producers.get(norm.input());
        if (add == null || !add.opType().equals("Add") || add.inputs().size() != 2) {
            throw fail(where + ": the LayerNorm input is not a residual sum (post-LN BERT expected)");
        }
        for (int side = 0; side < 2; side++) {
            Linear linear = linearAt(add.inputs().get(side));
            if (linear != null && add.inputs().get(1 - side).equals(residual)) {
                return linear;
            }
        }
        throw fail(where + ": the LayerNorm input is not the previous LayerNorm's output plus a linear"
                + " (post-LN BERT expected)");
    }

    private void requireInput(Linear linear, String expected, String where) {
        if (!linear.input().equals(expected)) {
            throw fail(where + ": a linear reads '" + linear.input() + "', not the previous LayerNorm's output '"
                    + expected + "' (post-LN BERT expected)");
        }
    }

    /**
     * Add(bias, MatMul(x, W)) in either order, or Gemm(x, W, bias), with constant W and bias; else
     * null. The Linear's weight is [in, out] as MatMul takes it.
     */
    private Linear linearAt(String tensor) {
        Node add = producers.get(tensor);
        if (add != null && add.opType().equals("Gemm")) {
            return gemm(add);
        }
        if (add == null || !add.opType().equals("Add") || add.inputs().size() != 2) {
            return null;
        }
        for (int side = 0; side < 2; side++) {
            Tensor bias = floatConstant(add.inputs().get(side), 1);
            Node matmul = producers.get(add.inputs().get(1 - side));
            if (bias != null && matmul != null && matmul.opType().equals("MatMul")) {
                Tensor weight = floatConstant(matmul.inputs().get(1), 2);
                if (weight != null && weight.dims()[1] == bias.dims()[0]) {
                    return new Linear(matmul.inputs().get(0), weight, bias);
                }
            }
        }
        return null;
    }

    /** PyTorch exports a linear on a matrix (the pooler's) as Gemm, usually with W [out, in] (transB). */
    private Linear gemm(Node gemm) {
        Tensor weight = gemm.inputs().size() == 3 ? floatConstant(gemm.inputs().get(1), 2) : null;
        Tensor bias = gemm.inputs().size() == 3 ? floatConstant(gemm.inputs().get(2), 1) : null;
        OnnxGraph.Attribute transA = gemm.attributes().get("transA");
        OnnxGraph.Attribute transB = gemm.attributes().get("transB");
        OnnxGraph.Attribute alpha = gemm.attributes().get("alpha");
        OnnxGraph.Attribute beta = gemm.attributes().get("beta");
        if (weight == null || bias == null || (transA != null && transA.i() != 0)
                || (alpha != null && alpha.f() != 1f) || (beta != null && beta.f() != 1f)) {
            return null;
        }
        if (transB != null && transB.i() != 0) {
            FloatTensor t = transpose(weight);
            weight = new Tensor(weight.name(), t.shape(), OnnxGraph.FLOAT, t.data(), null);
        }
        return weight.dims()[1] == bias.dims()[0] ? new Linear(gemm.inputs().get(0), weight, bias) : null;
    }

    private Linear linearBehind(String tensor, String what) {
        return linearBehind(tensor, SHAPE_OPS, what, new ArrayList<>());
    }

    /**
     * The one linear that {@code tensor} is computed from through {@code through} ops (walking back,
     * not past a linear); {@code path} receives the ops passed.
     */
    private Linear linearBehind(String tensor, Set<String> through, String what, List<Node> path) {
        Deque<String> todo = new ArrayDeque<>(List.of(tensor));
        Set<String> seen = new HashSet<>();
        Map<String, Linear> found = new LinkedHashMap<>();
        while (!todo.isEmpty()) {
            String t = todo.pop();
            if (!seen.add(t)) {
                continue;
            }
            Linear linear = linearAt(t);
            if (linear != null) {
                found.put(t, linear);
                continue;
            }
            Node node = producers.get(t);
            if (node != null && through.contains(node.opType())) {
                path.add(node);
                for (String in : node.inputs()) {
                    if (!graph.constants().containsKey(in)) {
                        todo.push(in);
                    }
                }
            }
        }
        if (found.size() != 1) {
            throw fail(what + ": " + found.size() + " linears (MatMul by a weight plus a bias) where BERT has one");
        }
        return found.values().iterator().next();
    }

    /** Walks producers back from {@code tensor} through {@code through} ops to a wanted node. */
    private Node back(String tensor, Set<String> through, Predicate<Node> wanted, String failure) {
        Deque<String> todo = new ArrayDeque<>(List.of(tensor));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            Node node = producers.get(todo.pop());
            if (node == null || !seen.add(node.outputs().get(0))) {
                continue;
            }
            if (wanted.test(node)) {
                return node;
            }
            if (through.contains(node.opType())) {
                for (String in : node.inputs()) {
                    if (!graph.constants().containsKey(in)) {
                        todo.push(in);
                    }
                }
            }
        }
        throw fail(failure);
    }

    /** A MatMul of two computed tensors (attention), not of a tensor and a weight. */
    private boolean isActivationMatMul(Node node) {
        return node.opType().equals("MatMul") && node.inputs().stream().noneMatch(graph.constants()::containsKey);
    }

    /** The nodes from the query-key MatMul to the Softmax, each the only reader of the one before. */
    private List<Node> chain(Node from, Node to, int layer) {
        List<Node> chain = new ArrayList<>();
        Node node = from;
        while (node != to) {
            List<Node> next = consumers.getOrDefault(node.outputs().get(0), List.of());
            if (next.size() != 1 || chain.size() > 8) {
                throw fail("layer " + layer + ": the attention scores branch between the query-key MatMul and"
                        + " the Softmax");
            }
            node = next.get(0);
            chain.add(node);
        }
        return chain;
    }

    /** Heads from the score scale 1/sqrt(headDim), a Div or Mul by a scalar between MatMul and Softmax. */
    private int heads(List<Node> chain, int hidden, int layer) {
        for (Node node : chain) {
            for (String in : node.inputs()) {
                Tensor c = graph.constants().get(in);
                if (c == null || c.floats() == null || c.elements() != 1) {
                    continue;
                }
                double scale = node.opType().equals("Div") ? 1.0 / c.floats()[0] : c.floats()[0];
                if (!node.opType().equals("Div") && !node.opType().equals("Mul")) {
                    continue;
                }
                long headDim = Math.round(1.0 / (scale * scale));
                if (headDim < 1 || hidden % headDim != 0
                        || Math.abs(scale * Math.sqrt(headDim) - 1) > 1e-5) {
                    throw fail("layer " + layer + ": attention scale " + scale + " is not 1/sqrt(d) for a head size"
                            + " d dividing " + hidden);
                }
                return (int) (hidden / headDim);
            }
        }
        throw fail("layer " + layer + ": no 1/sqrt(head size) scale between the query-key MatMul and the Softmax");
    }

    /** LayerNormalization ops and PyTorch's decomposed LayerNorms, in graph order. */
    private List<Norm> norms() {
        List<Norm> norms = new ArrayList<>();
        for (Node node : graph.nodes()) {
            if (node.opType().equals("LayerNormalization")) {
                Tensor gamma = floatConstant(node.inputs().get(1), 1);
                Tensor beta = node.inputs().size() > 2 ? floatConstant(node.inputs().get(2), 1) : null;
                if (gamma == null || beta == null) {
                    throw fail("LayerNormalization '" + node.name() + "' has no constant scale and bias");
                }
                OnnxGraph.Attribute eps = node.attributes().get("epsilon");
                norms.add(new Norm(node.inputs().get(0), node.outputs().get(0), gamma, beta,
                        eps == null ? 1e-5 : decimal(eps.f())));
            } else if (node.opType().equals("Sqrt")) {
                norms.add(decomposedNorm(node));
            }
        }
        return norms;
    }

    /** Sqrt(Add(var, eps)) -> Div(Sub(x, mean), .) -> Mul gamma -> Add beta. */
    private Norm decomposedNorm(Node sqrt) {
        String where = "the Sqrt '" + sqrt.name() + "' is not part of a LayerNorm";
        Node addEps = producers.get(sqrt.inputs().get(0));
        Node div = single(consumers.get(sqrt.outputs().get(0)), "Div", where);
        Node sub = producers.get(div.inputs().get(0));
        if (addEps == null || !addEps.opType().equals("Add") || sub == null || !sub.opType().equals("Sub")) {
            throw fail(where);
        }
        Tensor eps = null;
        for (String in : addEps.inputs()) {
            Tensor c = graph.constants().get(in);
            if (c != null && c.floats() != null && c.elements() == 1) {
                eps = c;
            }
        }
        Node mul = single(consumers.get(div.outputs().get(0)), "Mul", where);
        Node add = single(consumers.get(mul.outputs().get(0)), "Add", where);
        Tensor gamma = otherConstant(mul, div.outputs().get(0));
        Tensor beta = otherConstant(add, mul.outputs().get(0));
        if (eps == null || gamma == null || beta == null) {
            throw fail(where + " with constant epsilon, scale and bias");
        }
        return new Norm(sub.inputs().get(0), add.outputs().get(0), gamma, beta, decimal(eps.floats()[0]));
    }

    /** The decimal a float epsilon was written as (1e-12 is stored as 9.99999996e-13 in float). */
    private static double decimal(float value) {
        return Double.parseDouble(Float.toString(value));
    }

    private Node single(List<Node> nodes, String op, String where) {
        if (nodes == null || nodes.size() != 1 || !nodes.get(0).opType().equals(op)) {
            throw fail(where);
        }
        return nodes.get(0);
    }

    private Tensor otherConstant(Node node, String input) {
        for (String in : node.inputs()) {
            if (!in.equals(input)) {
                return floatConstant(in, 1);
            }
        }
        return null;
    }

    private Tensor floatConstant(String name, int rank) {
        Tensor t = graph.constants().get(name);
        return t != null && t.floats() != null && t.dims().length == rank ? t : null;
    }

    private static void put(Map<String, FloatTensor> out, String name, Linear linear, int outDim, int inDim) {
        long[] dims = linear.weight().dims();
        if (dims[0] != inDim || dims[1] != outDim) {
            throw fail(name + " weight '" + linear.weight().name() + "' has shape " + linear.weight().shapeText()
                    + ", expected [" + inDim + ", " + outDim + "]");
        }
        out.put(name + ".weight", transpose(linear.weight()));
        out.put(name + ".bias", copy(linear.bias()));
    }

    private static void putNorm(Map<String, FloatTensor> out, String name, Norm norm, int hidden) {
        if (norm.gamma().dims()[0] != hidden || norm.beta().dims()[0] != hidden) {
            throw fail(name + " has width " + norm.gamma().dims()[0] + ", expected " + hidden);
        }
        out.put(name + ".weight", copy(norm.gamma()));
        out.put(name + ".bias", copy(norm.beta()));
    }

    private static FloatTensor copy(Tensor t) {
        return new FloatTensor(t.dims(), t.floats().clone());
    }

    /** ONNX MatMul weights are [in, out]; Hugging Face's nn.Linear holds [out, in]. */
    private static FloatTensor transpose(Tensor t) {
        return transpose(t.dims(), t.floats());
    }

    private static FloatTensor transpose(long[] dims, float[] values) {
        int rows = (int) dims[0];
        int cols = (int) dims[1];
        float[] data = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                data[c * rows + r] = values[r * cols + c];
            }
        }
        return new FloatTensor(new long[] {cols, rows}, data);
    }

    private static InputException fail(String message) {
        return new InputException("ONNX BERT import: " + message);
    }
}
