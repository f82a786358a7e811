package io.streamseek.gpu.loader.gguf;

import io.streamseek.gpu.loader.CheckpointException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads the little-endian fields of a GGUF header in order, checking each against the end of the
 * file first, so that a truncated or corrupt file fails with the offset and with what was being read
 * ({@link #reading}) instead of a {@code BufferUnderflowException}.
 */
final class GgufCursor {

    private final String file;
    private final ByteBuffer window;
    private final long fileSize;
    private String reading = "the header";

    /** {@code window} maps the file from byte 0; it is shorter than the file only for files over 2 GiB. */
    GgufCursor(String file, ByteBuffer window, long fileSize) {
        this.file = file;
        this.window = window.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.window.position(0);
        this.fileSize = fileSize;
    }

    /** Names what the next fields belong to, for error messages: "metadata key general.name". */
    void reading(String what) {
        reading = what;
    }

    String file() {
        return file;
    }

    long fileSize() {
        return fileSize;
    }

    long position() {
        return window.position();
    }

    CheckpointException error(String message) {
        return new CheckpointException(file + ": " + message);
    }

    int u8() {
        need(1);
        return window.get() & 0xFF;
    }

    long u32() {
        need(4);
        return window.getInt() & 0xFFFF_FFFFL;
    }

    /** A uint64 as its two's-complement bits: values above {@code Long.MAX_VALUE} come back negative. */
    long u64() {
        need(8);
        return window.getLong();
    }

    /** One scalar of an integer type, widened; a UINT64 above {@code Long.MAX_VALUE} comes back negative. */
    long integer(GgufValueType type) {
        need(type.minBytes());
        return switch (type) {
            case UINT8 -> window.get() & 0xFF;
            case INT8 -> window.get();
            case UINT16 -> window.getShort() & 0xFFFF;
            case INT16 -> window.getShort();
            case UINT32 -> window.getInt() & 0xFFFF_FFFFL;
            case INT32 -> window.getInt();
            case UINT64, INT64 -> window.getLong();
            default -> throw new IllegalArgumentException(type + " is not an integer type");
        };
    }

    float f32() {
        need(4);
        return window.getFloat();
    }

    double f64() {
        need(8);
        return window.getDouble();
    }

    /** A BOOL byte; the specification allows only 0 and 1, anything else is a corrupt file. */
    boolean bool() {
        long at = position();
        int b = u8();
        if (b > 1) {
            throw error(reading + " has BOOL byte " + b + " at offset " + at + "; GGUF bools are 0 or 1");
        }
        return b == 1;
    }

    /** A GGUF string: a uint64 byte length, then that many UTF-8 bytes (no terminator). */
    String string() {
        long at = position();
        long length = u64();
        if (length < 0 || length > fileSize - position()) {
            throw error("string length " + Long.toUnsignedString(length) + " of " + reading + " at offset " + at
                    + " runs past the end of the file (" + fileSize + " bytes)");
        }
        need(length);
        byte[] bytes = new byte[(int) length];
        window.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * An array's element count, checked against the bytes left: even the smallest elements of
     * {@code elementType} must fit, so a corrupt count fails here instead of allocating gigabytes.
     */
    int arrayLength(GgufValueType elementType) {
        long at = position();
        long count = u64();
        long left = fileSize - position();
        long minBytes = elementType.minBytes();
        if (count < 0 || count > left / minBytes) {
            String needs = count < 0 || count > Long.MAX_VALUE / minBytes ? "more bytes than any file holds"
                    : "at least " + count * minBytes + " bytes";
            throw error("array length " + Long.toUnsignedString(count) + " of " + reading + " (ARRAY of " + elementType
                    + ") at offset " + at + " runs past the end of the file (" + fileSize + " bytes): "
                    + Long.toUnsignedString(count) + " elements need " + needs);
        }
        need(count * minBytes);  // within the file; this refuses what lies past the 2 GiB window
        return (int) count;
    }

    /** Fails unless {@code bytes} more bytes lie within the file (and within the mapped window). */
    private void need(long bytes) {
        long at = position();
        if (bytes <= fileSize - at && bytes <= window.limit() - at) {
            return;
        }
        if (bytes <= fileSize - at) {
            throw error("the header runs past its first 2 GiB while reading " + reading + " at offset " + at
                    + "; headers that large are not supported");
        }
        throw error("truncated: reading " + reading + " needs " + bytes + " bytes at offset " + at
                + ", but the file ends at " + fileSize);
    }
}
