package io.streamseek.schemas.wire;

import io.streamseek.schemas.ErrorCode;

import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BoundedBinaryDecoderTest {

    private static final DecodeLimits SMALL = new DecodeLimits(8, 8, 3);

    @Test
    void readsWhatAvrosEncoderWrites() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        encoder.writeInt(-123456);
        encoder.writeLong(Long.MIN_VALUE);
        encoder.writeBoolean(true);
        encoder.writeFloat(1.5f);
        encoder.writeDouble(-2.25);
        encoder.writeString("héllo");
        encoder.writeBytes(new byte[] {1, 2, 3});
        encoder.writeArrayStart();
        encoder.setItemCount(2);
        encoder.startItem();
        encoder.writeInt(7);
        encoder.startItem();
        encoder.writeInt(8);
        encoder.writeArrayEnd();
        encoder.flush();
        byte[] bytes = out.toByteArray();

        BoundedBinaryDecoder decoder = new BoundedBinaryDecoder(bytes, 0, bytes.length, DecodeLimits.DEFAULT);
        assertThat(decoder.readInt()).isEqualTo(-123456);
        assertThat(decoder.readLong()).isEqualTo(Long.MIN_VALUE);
        assertThat(decoder.readBoolean()).isTrue();
        assertThat(decoder.readFloat()).isEqualTo(1.5f);
        assertThat(decoder.readDouble()).isEqualTo(-2.25);
        assertThat(decoder.readString(new Utf8()).toString()).isEqualTo("héllo");
        ByteBuffer value = decoder.readBytes(null);
        assertThat(value.remaining()).isEqualTo(3);
        assertThat(decoder.readArrayStart()).isEqualTo(2);
        assertThat(decoder.readInt()).isEqualTo(7);
        assertThat(decoder.readInt()).isEqualTo(8);
        assertThat(decoder.arrayNext()).isZero();
        assertThat(decoder.remaining()).isZero();
    }

    @Test
    void lengthClaimingGigabytesFailsBeforeAllocating() {
        // zig-zag varint of 2^30: a string "of one gigabyte" followed by four bytes.
        byte[] bytes = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08, 'a', 'b', 'c', 'd'};
        BoundedBinaryDecoder decoder = new BoundedBinaryDecoder(bytes, 0, bytes.length, new DecodeLimits(Integer.MAX_VALUE, Integer.MAX_VALUE, 10));
        assertThatThrownBy(decoder::readString)
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TRUNCATED_PAYLOAD))
                .hasMessage("Truncated Avro data at byte 0: string length 1073741824 exceeds the 4 bytes left in the payload");
    }

    @Test
    void limitsAreEnforcedWithTheirValues() {
        byte[] longString = {20, 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'};
        assertThatThrownBy(() -> new BoundedBinaryDecoder(longString, 0, longString.length, SMALL).readString())
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_AVRO))
                .hasMessage("Malformed Avro data at byte 0: string length 10 exceeds the limit of 8 bytes");

        byte[] bigArray = {8, 2, 2, 2, 2};
        assertThatThrownBy(() -> new BoundedBinaryDecoder(bigArray, 0, bigArray.length, SMALL).readArrayStart())
                .hasMessage("Malformed Avro data at byte 0: array block claims 4 items, more than the limit of 3");

        byte[] negative = {3};
        assertThatThrownBy(() -> new BoundedBinaryDecoder(negative, 0, 1, SMALL).readBytes(null))
                .hasMessage("Malformed Avro data at byte 0: bytes value length is negative: -2");
    }

    @Test
    void arrayMayNotClaimMoreItemsThanBytesRemain() {
        byte[] bytes = {100, 2};
        assertThatThrownBy(() -> new BoundedBinaryDecoder(bytes, 0, bytes.length, DecodeLimits.DEFAULT).readMapStart())
                .hasMessage("Truncated Avro data at byte 0: map block claims 50 items but only 1 bytes remain");
    }

    @Test
    void invalidEncodingsAreMalformed() {
        byte[] overlongInt = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1};
        assertThatThrownBy(() -> new BoundedBinaryDecoder(overlongInt, 0, overlongInt.length, SMALL).readInt())
                .hasMessage("Malformed Avro data at byte 0: invalid variable-length encoding of an int (more than 5 bytes)");

        byte[] badUtf8 = {4, (byte) 0xc3, 0x28};
        assertThatThrownBy(() -> new BoundedBinaryDecoder(badUtf8, 0, badUtf8.length, SMALL).readString())
                .hasMessage("Malformed Avro data at byte 0: string is not valid UTF-8");

        byte[] badBoolean = {2};
        assertThatThrownBy(() -> new BoundedBinaryDecoder(badBoolean, 0, 1, SMALL).readBoolean())
                .hasMessage("Malformed Avro data at byte 0: a boolean must be byte 0 or 1, found 2");

        byte[] empty = {};
        assertThatThrownBy(() -> new BoundedBinaryDecoder(empty, 0, 0, SMALL).readDouble())
                .hasMessage("Truncated Avro data at byte 0: the payload ends before a double (0 bytes left)");
    }

    @Test
    void offsetsCountFromThePayloadStart() {
        byte[] bytes = {9, 9, 9, 9, 9, 6, 'a'};
        assertThatThrownBy(() -> new BoundedBinaryDecoder(bytes, 5, 2, SMALL).readString())
                .hasMessage("Truncated Avro data at byte 5: string length 3 exceeds the 1 bytes left in the payload");
    }
}
