package io.sparkformer.imports;

import io.sparkformer.InputException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The protobuf wire format, as much as reading an ONNX file needs: varints, 32/64-bit fixed
 * values and length-delimited fields (strings, bytes, packed arrays, nested messages). A few
 * dozen lines instead of protobuf-java plus a generated 20,000-line {@code onnx.proto} class,
 * for the six messages and some twenty fields the importer reads. Nested messages are views on
 * the same buffer, so a 90 MB model is not copied per level.
 */
final class ProtoReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH = 2;
    static final int FIXED32 = 5;

    private final ByteBuffer buffer;
    private int field;
    private int wireType;

    ProtoReader(ByteBuffer buffer) {
        this.buffer = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Moves to the next field; false at the end of the message. */
    boolean next() {
        if (!buffer.hasRemaining()) {
            return false;
        }
        long key = varint();
        field = (int) (key >>> 3);
        wireType = (int) (key & 7);
        if (field == 0) {
            throw malformed("field number 0");
        }
        return true;
    }

    boolean hasRemaining() {
        return buffer.hasRemaining();
    }

    int field() {
        return field;
    }

    int wireType() {
        return wireType;
    }

    long varint() {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!buffer.hasRemaining()) {
                throw malformed("truncated varint");
            }
            byte b = buffer.get();
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw malformed("varint longer than 10 bytes");
    }

    float fixed32Float() {
        require(FIXED32);
        return buffer.getFloat();
    }

    /** The bytes of a length-delimited field, as a view. */
    ByteBuffer bytes() {
        require(LENGTH);
        long length = varint();
        if (length < 0 || length > buffer.remaining()) {
            throw malformed("field " + field + " claims " + length + " bytes, " + buffer.remaining() + " remain");
        }
        ByteBuffer view = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
        view.limit((int) length);
        buffer.position(buffer.position() + (int) length);
        return view;
    }

    String string() {
        ByteBuffer view = bytes();
        byte[] raw = new byte[view.remaining()];
        view.get(raw);
        return new String(raw, StandardCharsets.UTF_8);
    }

    ProtoReader message() {
        return new ProtoReader(bytes());
    }

    /** Skips the current field's value. */
    void skip() {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> advance(8);
            case LENGTH -> bytes();
            case FIXED32 -> advance(4);
            default -> throw malformed("unsupported wire type " + wireType + " in field " + field);
        }
    }

    private void advance(int n) {
        if (buffer.remaining() < n) {
            throw malformed("truncated field " + field);
        }
        buffer.position(buffer.position() + n);
    }

    private void require(int expected) {
        if (wireType != expected) {
            throw malformed("field " + field + " has wire type " + wireType + ", expected " + expected);
        }
    }

    static InputException malformed(String what) {
        return new InputException("ONNX: not a valid protobuf message (" + what + ")");
    }
}
