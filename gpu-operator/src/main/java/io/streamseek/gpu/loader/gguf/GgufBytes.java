package io.streamseek.gpu.loader.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** A growable little-endian byte buffer for the header fields GgufWriter encodes (tests use it to craft files). */
final class GgufBytes {

    private ByteBuffer buffer = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);

    GgufBytes u8(int v) {
        room(1).put((byte) v);
        return this;
    }

    GgufBytes u16(int v) {
        room(2).putShort((short) v);
        return this;
    }

    /** The low 32 bits of {@code v}. */
    GgufBytes u32(long v) {
        room(4).putInt((int) v);
        return this;
    }

    GgufBytes u64(long v) {
        room(8).putLong(v);
        return this;
    }

    GgufBytes f32(float v) {
        room(4).putFloat(v);
        return this;
    }

    GgufBytes f64(double v) {
        room(8).putDouble(v);
        return this;
    }

    /** A GGUF string: uint64 byte length, then the UTF-8 bytes. */
    GgufBytes string(String s) {
        return bytes(s.getBytes(StandardCharsets.UTF_8), true);
    }

    GgufBytes bytes(byte[] b) {
        return bytes(b, false);
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    GgufBytes pad(long alignment) {
        int padded = (int) GgufHeader.align(size(), alignment);
        room(padded - size()).position(padded);
        return this;
    }

    int size() {
        return buffer.position();
    }

    /** The bytes written so far, as a buffer positioned at 0. */
    ByteBuffer toBuffer() {
        return buffer.duplicate().flip().order(ByteOrder.LITTLE_ENDIAN);
    }

    byte[] toArray() {
        byte[] out = new byte[size()];
        toBuffer().get(out);
        return out;
    }

    private GgufBytes bytes(byte[] b, boolean withLength) {
        if (withLength) {
            u64(b.length);
        }
        room(b.length).put(b);
        return this;
    }

    private ByteBuffer room(int bytes) {
        if (buffer.remaining() < bytes) {
            int capacity = Math.max(buffer.capacity() * 2, buffer.position() + bytes);
            ByteBuffer grown = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
            grown.put(buffer.flip());
            buffer = grown;
        }
        return buffer;
    }
}
