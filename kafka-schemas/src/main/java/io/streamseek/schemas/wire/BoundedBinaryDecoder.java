package io.streamseek.schemas.wire;

import io.streamseek.schemas.ErrorCode;

import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * An Avro binary {@link Decoder} over one payload held in memory, that never trusts a length.
 *
 * <p>Avro's own {@code BinaryDecoder} allocates a string, bytes value or array of the claimed size
 * before reading it, so one corrupt length prefix can ask for gigabytes. Here every length is checked
 * first against the bytes actually left in the payload and against {@link DecodeLimits}; an array or
 * map may claim at most as many items as bytes remain (every type of the StreamSeek contract encodes
 * to at least one byte per item). Strings must be valid UTF-8. Failures are {@link WireFormatException}s
 * that name the offset in the payload.
 *
 * <p>One instance reads one payload: a new decoder per record means a failed read can never leave
 * state behind for the next one.
 */
final class BoundedBinaryDecoder extends Decoder {

    private final byte[] buf;
    private final int limit;
    private final DecodeLimits limits;
    private int pos;

    BoundedBinaryDecoder(byte[] buf, int offset, int length, DecodeLimits limits) {
        this.buf = buf;
        this.pos = offset;
        this.limit = offset + length;
        this.limits = limits;
    }

    /** Bytes not yet read. */
    int remaining() {
        return limit - pos;
    }

    /** Offset of the next byte, counted from the start of the whole payload. */
    int position() {
        return pos;
    }

    @Override
    public void readNull() {
    }

    @Override
    public boolean readBoolean() {
        require(1, "a boolean");
        byte b = buf[pos++];
        if (b != 0 && b != 1) {
            throw malformed("a boolean must be byte 0 or 1, found " + b, pos - 1);
        }
        return b == 1;
    }

    @Override
    public int readInt() {
        int at = pos;
        long value = readVarLong(5, "an int");
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw malformed("int out of range: " + value, at);
        }
        return (int) value;
    }

    @Override
    public long readLong() {
        return readVarLong(10, "a long");
    }

    /** Zig-zag variable-length decoding, refusing encodings longer than {@code maxBytes}. */
    private long readVarLong(int maxBytes, String what) {
        int at = pos;
        long raw = 0;
        for (int shift = 0, i = 0; i < maxBytes; i++, shift += 7) {
            if (pos >= limit) {
                throw truncated("the payload ends inside " + what, at);
            }
            int b = buf[pos++] & 0xff;
            raw |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw malformed("invalid variable-length encoding of " + what + " (more than " + maxBytes + " bytes)", at);
    }

    @Override
    public float readFloat() {
        require(4, "a float");
        int bits = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    @Override
    public double readDouble() {
        require(8, "a double");
        long bits = 0;
        for (int i = 7; i >= 0; i--) {
            bits = bits << 8 | (buf[pos + i] & 0xff);
        }
        pos += 8;
        return Double.longBitsToDouble(bits);
    }

    @Override
    public Utf8 readString(Utf8 old) {
        int at = pos;
        int length = readLength(limits.maxStringBytes(), "string");
        checkUtf8(at, length);
        Utf8 result = old != null ? old : new Utf8();
        result.setByteLength(length);
        System.arraycopy(buf, pos, result.getBytes(), 0, length);
        pos += length;
        return result;
    }

    @Override
    public String readString() {
        int at = pos;
        int length = readLength(limits.maxStringBytes(), "string");
        String value = checkUtf8(at, length);
        pos += length;
        return value;
    }

    @Override
    public void skipString() {
        int length = readLength(limits.maxStringBytes(), "string");
        pos += length;
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) {
        int length = readLength(limits.maxBytesLength(), "bytes value");
        ByteBuffer result = old != null && old.capacity() >= length ? old : ByteBuffer.allocate(length);
        result.clear();
        result.put(buf, pos, length).flip();
        pos += length;
        return result;
    }

    @Override
    public void skipBytes() {
        pos += readLength(limits.maxBytesLength(), "bytes value");
    }

    @Override
    public void readFixed(byte[] bytes, int offset, int length) {
        require(length, "a fixed value of " + length + " bytes");
        System.arraycopy(buf, pos, bytes, offset, length);
        pos += length;
    }

    @Override
    public void skipFixed(int length) {
        require(length, "a fixed value of " + length + " bytes");
        pos += length;
    }

    @Override
    public int readEnum() {
        return readInt();
    }

    @Override
    public long readArrayStart() {
        return readItemCount("array");
    }

    @Override
    public long arrayNext() {
        return readItemCount("array");
    }

    @Override
    public long skipArray() {
        return skipBlocks("array");
    }

    @Override
    public long readMapStart() {
        return readItemCount("map");
    }

    @Override
    public long mapNext() {
        return readItemCount("map");
    }

    @Override
    public long skipMap() {
        return skipBlocks("map");
    }

    @Override
    public int readIndex() {
        return readInt();
    }

    /** A block's item count; a negative count is followed by the block's size in bytes. */
    private long readItemCount(String what) {
        int at = pos;
        long count = readLong();
        if (count < 0) {
            readLong();
            count = -count;
        }
        if (count > limits.maxCollectionItems()) {
            throw malformed(what + " block claims " + count + " items, more than the limit of " + limits.maxCollectionItems(), at);
        }
        if (count > remaining()) {
            throw truncated(what + " block claims " + count + " items but only " + remaining() + " bytes remain", at);
        }
        return count;
    }

    /** Skips whole blocks whose byte size is known; returns the item count of the first block that must be skipped item by item. */
    private long skipBlocks(String what) {
        while (true) {
            int at = pos;
            long count = readLong();
            if (count >= 0) {
                if (count > remaining()) {
                    throw truncated(what + " block claims " + count + " items but only " + remaining() + " bytes remain", at);
                }
                return count;
            }
            long size = readLong();
            if (size < 0 || size > remaining()) {
                throw truncated(what + " block claims " + size + " bytes but only " + remaining() + " remain", at);
            }
            pos += (int) size;
        }
    }

    private int readLength(int max, String what) {
        int at = pos;
        long length = readLong();
        if (length < 0) {
            throw malformed(what + " length is negative: " + length, at);
        }
        if (length > max) {
            throw malformed(what + " length " + length + " exceeds the limit of " + max + " bytes", at);
        }
        if (length > remaining()) {
            throw truncated(what + " length " + length + " exceeds the " + remaining() + " bytes left in the payload", at);
        }
        return (int) length;
    }

    private String checkUtf8(int at, int length) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = utf8.decode(ByteBuffer.wrap(buf, pos, length));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw malformed("string is not valid UTF-8", at);
        }
    }

    private void require(int bytes, String what) {
        if (bytes < 0 || bytes > remaining()) {
            throw truncated("the payload ends before " + what + " (" + remaining() + " bytes left)", pos);
        }
    }

    private WireFormatException truncated(String detail, int at) {
        return new WireFormatException(ErrorCode.TRUNCATED_PAYLOAD, "Truncated Avro data at byte " + at + ": " + detail);
    }

    private WireFormatException malformed(String detail, int at) {
        return new WireFormatException(ErrorCode.MALFORMED_AVRO, "Malformed Avro data at byte " + at + ": " + detail);
    }
}
