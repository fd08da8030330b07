package io.sparkformer.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.model.optim.FlatGradientUpdater;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads the {@code model.zip} that DL4J's {@code ModelSerializer.writeModel} writes, without
 * {@code ModelSerializer.restoreComputationGraph}: that method Java-deserializes any
 * {@code preprocessor.bin} (and its siblings {@code normalizer.bin}, {@code objects/*}) it finds, so
 * whoever can write a run directory could run code in every job that loads it.
 *
 * <p>Only the entries Sparkformer writes are accepted; every class the configuration JSON names must
 * come from DL4J, ND4J or Sparkformer; every entry's size is checked against what the configuration
 * implies before anything of that size is allocated. Nothing here calls
 * {@link java.io.ObjectInputStream}.
 */
final class ModelZipReader {
    static final String CONFIGURATION = "configuration.json";
    static final String COEFFICIENTS = "coefficients.bin";
    static final String UPDATER_STATE = "updaterState.bin";
    static final String NO_PARAMS = "noParams.marker";
    private static final Set<String> ENTRIES = Set.of(CONFIGURATION, COEFFICIENTS, UPDATER_STATE, NO_PARAMS);

    /** Class names the configuration JSON may instantiate through Jackson's "@class" type ids. */
    private static final List<String> CLASS_PREFIXES = List.of("org.deeplearning4j.", "org.nd4j.", "io.sparkformer.");
    /** Third-party libraries ND4J bundles under its own prefix (Jackson, Guava, Protobuf...): not ND4J's classes. */
    private static final String SHADED_PREFIX = "org.nd4j.shade.";
    private static final long MAX_CONFIGURATION_BYTES = 64L << 20;
    /** ND4J's buffer headers: allocation-mode and type names plus a length; a shape has at most 32 dimensions. */
    private static final int MAX_HEADER_BYTES = 4096;
    private static final int MAX_SHAPE_INFO_LONGS = 2 * 32 + 4;

    private ModelZipReader() {
    }

    /** The graph in {@code zip}, with its updater state. Throws a {@link CheckpointException} naming {@code what}. */
    static ComputationGraph read(java.nio.file.Path zip, String what) throws IOException {
        try (ZipFile file = new ZipFile(zip.toFile())) {
            Map<String, ZipEntry> entries = entries(file, what);
            ZipEntry configEntry = entries.get(CONFIGURATION);
            if (configEntry == null) {
                throw refused(what, "it has no " + CONFIGURATION);
            }
            String json = new String(readBounded(file, configEntry, MAX_CONFIGURATION_BYTES, what),
                    StandardCharsets.UTF_8);
            checkClassNames(json, what);
            ComputationGraphConfiguration conf = ComputationGraphConfiguration.fromJson(json);
            long params = parameterCount(conf);

            ZipEntry coefficientsEntry = entries.get(COEFFICIENTS);
            INDArray coefficients = null;
            if (params > 0) {
                if (coefficientsEntry == null) {
                    throw refused(what, "it has no " + COEFFICIENTS + " but its configuration has " + params + " parameters");
                }
                coefficients = readArray(file, coefficientsEntry, params, what);
                conf.setDataType(coefficients.dataType());
            }
            ComputationGraph graph = new ComputationGraph(conf);
            graph.init(coefficients, false);
            FlatGradientUpdater.install(graph);

            ZipEntry updaterEntry = entries.get(UPDATER_STATE);
            if (updaterEntry != null) {
                INDArray view = graph.getUpdater().getStateViewArray();
                long expected = view == null ? 0 : view.length();
                graph.getUpdater().setStateViewArray(readArray(file, updaterEntry, expected, what));
            }
            return graph;
        }
    }

    private static Map<String, ZipEntry> entries(ZipFile file, String what) {
        Map<String, ZipEntry> entries = new HashMap<>();
        for (Enumeration<? extends ZipEntry> e = file.entries(); e.hasMoreElements(); ) {
            ZipEntry entry = e.nextElement();
            if (!ENTRIES.contains(entry.getName())) {
                throw refused(what, "it holds an entry Sparkformer never writes: " + entry.getName());
            }
            if (entries.put(entry.getName(), entry) != null) {
                throw refused(what, "it holds " + entry.getName() + " twice");
            }
        }
        return entries;
    }

    /** Every "@class" in the configuration names a class of DL4J, ND4J or Sparkformer. */
    private static void checkClassNames(String json, String what) throws IOException {
        List<String> classes = new ArrayList<>();
        collectClassNames(new ObjectMapper().readTree(json), classes);
        for (String name : classes) {
            if (CLASS_PREFIXES.stream().noneMatch(name::startsWith) || name.startsWith(SHADED_PREFIX)) {
                throw refused(what, "its configuration names class " + name
                        + ", which is not part of DL4J, ND4J or Sparkformer");
            }
        }
    }

    private static void collectClassNames(JsonNode node, List<String> into) {
        if (node.isObject()) {
            node.fields().forEachRemaining(field -> {
                if (field.getKey().equals("@class")) {
                    into.add(field.getValue().asText());
                } else {
                    collectClassNames(field.getValue(), into);
                }
            });
        } else if (node.isArray()) {
            node.forEach(child -> collectClassNames(child, into));
        }
    }

    /** The number of parameters the configuration's vertices declare, before anything is allocated. */
    private static long parameterCount(ComputationGraphConfiguration conf) {
        long count = 0;
        for (GraphVertex vertex : conf.getVertices().values()) {
            count += vertex.numParams(true);
        }
        return count;
    }

    /**
     * One array as {@code Nd4j.write} lays it out (a shape-information buffer, then the data buffer,
     * each with a header naming its allocation mode, length and type), read only once the data
     * buffer's header says it has exactly {@code expectedLength} elements and the entry's size agrees.
     * The entry is streamed twice (checked, then read) rather than held as one byte[]: a byte[] stops
     * at 2 GB, which coefficients reach at ~537 M float parameters and Adam's state at ~268 M.
     */
    private static INDArray readArray(ZipFile file, ZipEntry entry, long expectedLength, String what)
            throws IOException {
        long declared = entry.getSize();
        long maxBytes = expectedLength * Double.BYTES + 2L * MAX_HEADER_BYTES + MAX_SHAPE_INFO_LONGS * Long.BYTES;
        if (declared > maxBytes) {
            throw refused(what, entry.getName() + " has " + declared + " bytes, more than " + expectedLength
                    + " values can take");
        }
        try (DataInputStream in = stream(file, entry)) {
            BufferHeader shape = BufferHeader.read(in);
            if (shape.length() < 0 || shape.length() > MAX_SHAPE_INFO_LONGS) {
                throw refused(what, entry.getName() + " declares a shape of " + shape.length() + " values");
            }
            in.skipNBytes(shape.length() * shape.type().width());
            BufferHeader data = BufferHeader.read(in);
            if (data.length() != expectedLength) {
                throw refused(what, entry.getName() + " holds " + data.length() + " values but the configuration needs "
                        + expectedLength);
            }
            if (data.type() != DataType.FLOAT && data.type() != DataType.DOUBLE) {
                throw refused(what, entry.getName() + " holds " + data.type() + " values, not FLOAT or DOUBLE");
            }
            long dataBytes = data.length() * data.type().width();
            // The declared size can lie: count what inflates, at most one byte past what the header implies.
            long present = skipUpTo(in, dataBytes + 1);
            if (present != dataBytes) {
                throw refused(what, entry.getName() + " has " + (present < dataBytes ? "fewer" : "more")
                        + " bytes of data than " + data.length() + " " + data.type() + " values take");
            }
        } catch (IOException | IllegalArgumentException e) {
            throw refused(what, entry.getName() + " is not an ND4J array: " + CheckpointException.firstLine(e));
        }
        try (DataInputStream in = stream(file, entry)) {
            return Nd4j.read(in);
        }
    }

    /** Skips up to {@code n} bytes and returns how many there were (InflaterInputStream skips at most 2^31 - 1 a call). */
    private static long skipUpTo(InputStream in, long n) throws IOException {
        long total = 0;
        while (total < n) {
            long k = in.skip(n - total);
            if (k <= 0) {
                if (in.read() < 0) {
                    break;
                }
                k = 1;
            }
            total += k;
        }
        return total;
    }

    private static DataInputStream stream(ZipFile file, ZipEntry entry) throws IOException {
        return new DataInputStream(new BufferedInputStream(file.getInputStream(entry), 1 << 16));
    }

    /** The header {@code BaseDataBuffer.write} puts before each buffer. */
    private record BufferHeader(long length, DataType type) {
        static BufferHeader read(DataInputStream in) throws IOException {
            String mode = in.readUTF();
            // ND4J writes an int length for its three oldest allocation modes, a long for the rest.
            long length = switch (mode) {
                case "HEAP", "JAVACPP", "DIRECT" -> in.readInt();
                case "LONG_SHAPE", "MIXED_DATA_TYPES" -> in.readLong();
                default -> throw new IllegalArgumentException("unknown allocation mode " + mode);
            };
            return new BufferHeader(length, DataType.valueOf(in.readUTF()));
        }
    }

    private static byte[] readBounded(ZipFile file, ZipEntry entry, long maxBytes, String what) throws IOException {
        if (entry.getSize() > maxBytes) {
            throw refused(what, entry.getName() + " has " + entry.getSize() + " bytes, more than " + maxBytes);
        }
        try (InputStream in = file.getInputStream(entry)) {
            // The declared size can lie: read at most one byte past the limit to notice.
            byte[] bytes = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
            if (bytes.length > maxBytes) {
                throw refused(what, entry.getName() + " inflates to more than " + maxBytes + " bytes");
            }
            return bytes;
        }
    }

    private static CheckpointException refused(String what, String why) {
        return new CheckpointException(what + " is refused: " + why);
    }
}
