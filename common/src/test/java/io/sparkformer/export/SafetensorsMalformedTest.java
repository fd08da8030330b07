package io.sparkformer.export;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Each way a safetensors file can be broken gives its own one-line error naming the file and the numbers. */
class SafetensorsMalformedTest {
    private static final String A = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    /** A file with this header (padded) and {@code dataBytes} bytes of data. */
    private static byte[] file(String header, int dataBytes) {
        String padded = header + " ".repeat((8 - header.length() % 8) % 8);
        return file(padded.length(), padded, dataBytes);
    }

    private static byte[] file(long lengthField, String header, int dataBytes) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(lengthField).array());
        f.writeBytes(header.getBytes(StandardCharsets.UTF_8));
        f.writeBytes(new byte[dataBytes]);
        return f.toByteArray();
    }

    private static String error(byte[] file) {
        return assertThrows(SafetensorsException.class, () -> SafetensorsReader.read(file, "m.safetensors")).getMessage();
    }

    @Test
    void validFileOfTheseHelpersReads() {
        assertEquals(1, SafetensorsReader.read(file("{" + A + "}", 8), "ok").tensors().size());
    }

    @Test
    void fileShorterThanTheLengthFieldIsTruncated() {
        assertEquals("m.safetensors: truncated: the file has 5 bytes, fewer than the 8-byte header length",
                error(new byte[] {8, 0, 0, 0, 0}));
    }

    @Test
    void headerLengthBeyondTheFileIsRefused() {
        assertEquals("m.safetensors: header length 400 goes beyond the end of the file (70 bytes, so at most 62 bytes"
                + " of header): the file is truncated or not safetensors", error(file(400, "{" + A + "}", 8)));
    }

    @Test
    void absurdHeaderLengthIsRefusedBeforeReading() {
        assertEquals("m.safetensors: header length 18446744073709551615 is larger than the 100000000 bytes the format"
                + " allows", error(file(-1, "{}", 0)));
    }

    @Test
    void truncatedDataIsRefusedNamingTheTensor() {
        byte[] whole = file("{" + A + "}", 8);
        assertEquals("m.safetensors: tensor \"a\" has data_offsets [0, 8] beyond the end of the data (5 bytes after the"
                + " header): the file is truncated or the offsets are wrong", error(Arrays.copyOf(whole, whole.length - 3)));
    }

    @Test
    void headerThatIsNotJsonIsRefused() {
        String message = error(file("{\"a\":{\"dtype\":\"F32\",", 0));
        assertEquals(true, message.startsWith("m.safetensors: the header is not valid JSON ("), message);
    }

    @Test
    void headerThatIsNotAnObjectIsRefused() {
        assertEquals("m.safetensors: the header does not start with '{', so it is not a JSON object: the file is not"
                + " safetensors", error(file("[1, 2]", 0)));
    }

    @Test
    void headerThatIsNotUtf8IsRefused() {
        byte[] f = file("{\"\u00e9\":1}", 0);
        f[10] = (byte) 0xff;                                          // inside the two bytes of é
        assertEquals("m.safetensors: the header is not valid UTF-8", error(f));
    }

    @Test
    void overlappingOffsetsAreRefused() {
        String header = "{" + A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertEquals("m.safetensors: tensor \"b\" has data_offsets [4, 12], overlapping tensor \"a\" at [0, 8]",
                error(file(header, 12)));
    }

    @Test
    void gapBetweenTensorsIsRefused() {
        String header = "{" + A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}";
        assertEquals("m.safetensors: bytes [8, 12) of the data belong to no tensor (the next tensor, \"b\", starts at"
                + " 12)", error(file(header, 16)));
    }

    @Test
    void bytesAfterTheLastTensorAreRefused() {
        assertEquals("m.safetensors: the tensors cover 8 bytes of data but the file holds 12 after the header",
                error(file("{" + A + "}", 12)));
    }

    @Test
    void unknownDtypeIsRefused() {
        String header = "{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertEquals("m.safetensors: tensor \"a\" has unknown dtype \"F33\" (readable: [F16, BF16, F32, F64])",
                error(file(header, 8)));
    }

    @Test
    void integerDtypeIsRefusedAsNotReadableAsFloats() {
        String header = "{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        assertEquals("m.safetensors: tensor \"a\" has dtype I64, which cannot be read as floats (readable: [F16, BF16,"
                + " F32, F64])", error(file(header, 8)));
    }

    @Test
    void shapeThatDisagreesWithTheOffsetsIsRefused() {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        assertEquals("m.safetensors: tensor \"a\" has shape [3] of F32, which needs 12 bytes, but its data_offsets"
                + " [0, 8] span 8", error(file(header, 8)));
    }

    @Test
    void offsetsThatEndBeforeTheyBeginAreRefused() {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}";
        assertEquals("m.safetensors: tensor \"a\" has data_offsets [8, 0] that end before they begin",
                error(file(header, 8)));
    }

    @Test
    void malformedEntriesAreRefused() {
        assertEquals("m.safetensors: tensor \"a\" data_offsets must be an array of 2 non-negative integers, got [0]",
                error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0]}}", 0)));
        assertEquals("m.safetensors: tensor \"a\" shape must be an array of non-negative integers, got [-1]",
                error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0)));
        assertEquals("m.safetensors: tensor \"a\" has no dtype string",
                error(file("{\"a\":{\"shape\":[0],\"data_offsets\":[0,0]}}", 0)));
        assertEquals("m.safetensors: __metadata__ entry \"step\" must be a string, got 3",
                error(file("{\"__metadata__\":{\"step\":3}}", 0)));
    }

    @Test
    void duplicateTensorNamesAreRefused() {
        String message = error(file("{" + A + "," + A + "}", 8));
        assertEquals(true, message.contains("Duplicate field 'a'"), message);
    }

    @Test
    void aReservedNameCannotBeWrittenAsATensor() {
        FloatTensor t = new FloatTensor(new long[] {1}, new float[] {1});
        assertThrows(IllegalArgumentException.class, () -> Safetensors.of(Map.of("__metadata__", t), Map.of()));
    }
}
