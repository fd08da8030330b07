package io.sparkformer.export;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fixtures spelled out byte by byte from the published format (huggingface/safetensors README and
 * its reference serializer): an 8-byte little-endian header length, compact JSON with
 * {@code __metadata__} first and tensors sorted by name with fields dtype, shape, data_offsets,
 * spaces up to a multiple of 8, then little-endian data in header order.
 */
class SafetensorsFormatTest {

    /** Two F32 tensors and a format tag, as Python's {@code safetensors.torch.save_file} lays them out. */
    private static final String HEADER = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[8,16]}}";

    private static byte[] fixture() {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.writeBytes(bytes(0x90, 0, 0, 0, 0, 0, 0, 0));               // N = 144 = 141 JSON bytes + 3 spaces
        f.writeBytes((HEADER + "   ").getBytes(StandardCharsets.US_ASCII));
        f.writeBytes(bytes(0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0)); // a = [1.0, -2.0]
        f.writeBytes(bytes(0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x40, 0x40)); // b = [[0.5, 3.0]]
        return f.toByteArray();
    }

    @Test
    void fixtureHeaderIsAsLongAsItsLengthFieldSays() {
        assertEquals(141, HEADER.length());
        assertEquals(8 + 144 + 16, fixture().length);
    }

    @Test
    void handWrittenFixtureIsReadCorrectly() {
        Safetensors read = SafetensorsReader.read(fixture(), "fixture");
        assertEquals(List.of("a", "b"), List.copyOf(read.tensors().keySet()));
        assertEquals(new FloatTensor(new long[] {2}, new float[] {1.0f, -2.0f}), read.tensor("a"));
        assertEquals(new FloatTensor(new long[] {1, 2}, new float[] {0.5f, 3.0f}), read.tensor("b"));
        assertEquals(Map.of("format", "pt"), read.metadata());
    }

    @Test
    void writerOutputForTheSameTensorsIsByteIdenticalToTheFixture() {
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        tensors.put("b", new FloatTensor(new long[] {1, 2}, new float[] {0.5f, 3.0f}));   // unsorted on purpose
        tensors.put("a", new FloatTensor(new long[] {2}, new float[] {1.0f, -2.0f}));
        assertArrayEquals(fixture(), SafetensorsWriter.toBytes(Safetensors.of(tensors, Map.of("format", "pt"))));
    }

    @Test
    void emptyFileIsBracesPaddedToEightBytes() {
        byte[] expected = bytes(8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' ');
        assertArrayEquals(expected, SafetensorsWriter.toBytes(Safetensors.of(Map.of(), Map.of())));
        assertEquals(0, SafetensorsReader.read(expected, "empty").tensors().size());
    }

    @Test
    void headerWithoutPaddingNeedsNoSpaces() {
        // {"xyzw":{"dtype":"F32","shape":[],"data_offsets":[0,4]}} is 56 bytes: a multiple of 8 already.
        String header = "{\"xyzw\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}";
        assertEquals(56, header.length());
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.writeBytes(bytes(56, 0, 0, 0, 0, 0, 0, 0));
        f.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
        f.writeBytes(bytes(0x00, 0x00, 0x80, 0xbf));                  // -1.0
        FloatTensor scalar = new FloatTensor(new long[0], new float[] {-1.0f});
        assertArrayEquals(f.toByteArray(), SafetensorsWriter.toBytes(Safetensors.of(Map.of("xyzw", scalar), Map.of())));
        assertEquals(scalar, SafetensorsReader.read(f.toByteArray(), "scalar").tensor("xyzw"));
    }

    @Test
    void halfBfloatAndDoubleTensorsAreReadAsFloats() {
        String header = "{\"c\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
                + "\"d\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                + "\"e\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[12,20]}}";
        assertEquals(164, header.length());
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.writeBytes(bytes(0xa8, 0, 0, 0, 0, 0, 0, 0));               // 168 = 164 + 4 spaces
        f.writeBytes((header + "    ").getBytes(StandardCharsets.US_ASCII));
        f.writeBytes(bytes(0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00)); // F16 1, -2, 65504, 2^-24
        f.writeBytes(bytes(0x80, 0x3f, 0x20, 0xc0));                  // BF16 1, -2.5
        f.writeBytes(bytes(0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f)); // F64 0.1
        Safetensors read = SafetensorsReader.read(f.toByteArray(), "mixed");
        assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f}, read.tensor("c").data());
        assertArrayEquals(new float[] {1f, -2.5f}, read.tensor("d").data());
        assertArrayEquals(new float[] {0.1f}, read.tensor("e").data());
    }

    @Test
    void halfPrecisionSpecialValuesConvertExactly() {
        assertEquals(Float.POSITIVE_INFINITY, SafetensorsReader.halfToFloat((short) 0x7c00));
        assertEquals(Float.NEGATIVE_INFINITY, SafetensorsReader.halfToFloat((short) 0xfc00));
        assertEquals(Float.NaN, SafetensorsReader.halfToFloat((short) 0x7e00));
        assertEquals(-0.0f, SafetensorsReader.halfToFloat((short) 0x8000));
        assertEquals(0x1p-14f, SafetensorsReader.halfToFloat((short) 0x0400));   // smallest normal
        assertEquals(0x3ffp-24f, SafetensorsReader.halfToFloat((short) 0x03ff)); // largest subnormal
    }

    @Test
    void writeThenReadGivesTheSameTensorsAndMetadata() {
        Map<String, FloatTensor> tensors = Map.of(
                "transformer.h.10.x", new FloatTensor(new long[] {3, 1}, new float[] {1e-30f, -0f, Float.MAX_VALUE}),
                "transformer.h.9.x", new FloatTensor(new long[] {0, 4}, new float[0]),
                "lm_head.weight", new FloatTensor(new long[] {2, 2}, new float[] {1, 2, 3, 4}));
        Safetensors file = Safetensors.of(tensors, Map.of("step", "12", "format", "pt"));
        Safetensors read = SafetensorsReader.read(SafetensorsWriter.toBytes(file), "round trip");
        assertEquals(file, read);
        assertEquals(List.of("lm_head.weight", "transformer.h.10.x", "transformer.h.9.x"),
                List.copyOf(read.tensors().keySet()), "byte order of names, as the reference sorts");
    }

    static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }
}
