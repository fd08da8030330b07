package io.sparkformer.imports;

import io.sparkformer.InputException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX {@code ModelProto} an importer follows: the graph's nodes in file order
 * (ONNX requires topological order), its inputs and outputs, and its constants (initializers
 * and the values of {@code Constant} nodes) by tensor name. Field numbers are those of {@code
 * onnx.proto} (ModelProto.graph = 7; GraphProto node = 1, initializer = 5, input = 11, output =
 * 12; NodeProto input = 1, output = 2, name = 3, op_type = 4, attribute = 5; TensorProto dims =
 * 1, data_type = 2, float_data = 4, int64_data = 7, name = 8, raw_data = 9, data_location = 14).
 */
record OnnxGraph(List<Node> nodes, List<String> inputs, List<String> outputs, Map<String, Tensor> constants) {

    static final int FLOAT = 1;
    static final int INT64 = 7;

    /** A node: op type, input and output tensor names ("" for an omitted optional input). */
    record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
            Map<String, Attribute> attributes) {}

    /** An attribute's value: a float, an int, a tensor or an int list (the kinds BERT graphs use). */
    record Attribute(float f, long i, Tensor t, long[] ints) {}

    /** A constant; {@code floats} for FLOAT tensors, {@code longs} for INT64 ones, else null. */
    record Tensor(String name, long[] dims, int dataType, float[] floats, long[] longs) {
        long elements() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        String shapeText() {
            return Arrays.toString(dims);
        }
    }

    static OnnxGraph parse(byte[] bytes) {
        ProtoReader model = new ProtoReader(ByteBuffer.wrap(bytes));
        OnnxGraph graph = null;
        while (model.next()) {
            if (model.field() == 7 && model.wireType() == ProtoReader.LENGTH) {
                graph = graph(model.message());
            } else {
                model.skip();
            }
        }
        if (graph == null) {
            throw new InputException("ONNX: the file has no graph (is it an ONNX model?)");
        }
        return graph;
    }

    private static OnnxGraph graph(ProtoReader g) {
        List<Node> nodes = new ArrayList<>();
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, Tensor> constants = new LinkedHashMap<>();
        while (g.next()) {
            switch (g.field()) {
                case 1 -> nodes.add(node(g.message()));
                case 5 -> {
                    Tensor t = tensor(g.message());
                    constants.put(t.name(), t);
                }
                case 11 -> inputs.add(valueName(g.message()));
                case 12 -> outputs.add(valueName(g.message()));
                default -> g.skip();
            }
        }
        for (Node node : nodes) {
            Attribute value = node.attributes().get("value");
            if (node.opType().equals("Constant") && value != null && value.t() != null) {
                Tensor t = value.t();
                constants.put(node.outputs().get(0),
                        new Tensor(node.outputs().get(0), t.dims(), t.dataType(), t.floats(), t.longs()));
            }
        }
        // Graph inputs that are also initializers are defaults, not real inputs (ONNX before IR 4).
        inputs.removeIf(constants::containsKey);
        return new OnnxGraph(nodes, inputs, outputs, constants);
    }

    private static String valueName(ProtoReader v) {
        String name = "";
        while (v.next()) {
            if (v.field() == 1) {
                name = v.string();
            } else {
                v.skip();
            }
        }
        return name;
    }

    private static Node node(ProtoReader n) {
        String name = "";
        String op = "";
        String domain = "";
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, Attribute> attributes = new HashMap<>();
        while (n.next()) {
            switch (n.field()) {
                case 1 -> inputs.add(n.string());
                case 2 -> outputs.add(n.string());
                case 3 -> name = n.string();
                case 4 -> op = n.string();
                case 5 -> attribute(n.message(), attributes);
                case 7 -> domain = n.string();
                default -> n.skip();
            }
        }
        return new Node(name, op, domain, List.copyOf(inputs), List.copyOf(outputs), attributes);
    }

    private static void attribute(ProtoReader a, Map<String, Attribute> into) {
        String name = "";
        float f = 0;
        long i = 0;
        Tensor t = null;
        List<Long> ints = new ArrayList<>();
        while (a.next()) {
            switch (a.field()) {
                case 1 -> name = a.string();
                case 2 -> f = a.fixed32Float();
                case 3 -> i = a.varint();
                case 5 -> t = tensor(a.message());
                case 8 -> readLongs(a, ints);
                default -> a.skip();
            }
        }
        into.put(name, new Attribute(f, i, t, ints.stream().mapToLong(Long::longValue).toArray()));
    }

    private static Tensor tensor(ProtoReader t) {
        String name = "";
        List<Long> dims = new ArrayList<>();
        int type = 0;
        ByteBuffer raw = null;
        List<Float> floatData = new ArrayList<>();
        List<Long> longData = new ArrayList<>();
        while (t.next()) {
            switch (t.field()) {
                case 1 -> readLongs(t, dims);
                case 2 -> type = (int) t.varint();
                case 4 -> readFloats(t, floatData);
                case 7 -> readLongs(t, longData);
                case 8 -> name = t.string();
                case 9 -> raw = t.bytes();
                case 14 -> {
                    if (t.varint() != 0) {
                        throw new InputException("ONNX: tensor '" + name + "' keeps its data in an external file,"
                                + " which is not supported");
                    }
                }
                default -> t.skip();
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        float[] floats = null;
        long[] longs = null;
        if (type == FLOAT) {
            floats = new float[(int) n];
            checkCount(name, n, raw != null ? raw.remaining() / 4 : floatData.size());
            if (raw != null) {
                raw.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(floats);
            } else {
                for (int k = 0; k < Math.min(n, floatData.size()); k++) {
                    floats[k] = floatData.get(k);
                }
            }
        } else if (type == INT64) {
            longs = new long[(int) n];
            checkCount(name, n, raw != null ? raw.remaining() / 8 : longData.size());
            if (raw != null) {
                raw.order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(longs);
            } else {
                for (int k = 0; k < Math.min(n, longData.size()); k++) {
                    longs[k] = longData.get(k);
                }
            }
        }
        return new Tensor(name, shape, type, floats, longs);
    }

    private static void checkCount(String name, long expected, long got) {
        if (got != expected) {
            throw new InputException("ONNX: tensor '" + name + "' has " + got + " values for " + expected + " elements");
        }
    }

    private static void readLongs(ProtoReader r, List<Long> into) {
        if (r.wireType() == ProtoReader.LENGTH) {
            ProtoReader packed = new ProtoReader(r.bytes());
            while (packed.hasRemaining()) {
                into.add(packed.varint());
            }
        } else {
            into.add(r.varint());
        }
    }

    private static void readFloats(ProtoReader r, List<Float> into) {
        if (r.wireType() == ProtoReader.LENGTH) {
            ByteBuffer packed = r.bytes();
            while (packed.remaining() >= 4) {
                into.add(packed.getFloat());
            }
        } else {
            into.add(r.fixed32Float());
        }
    }
}
