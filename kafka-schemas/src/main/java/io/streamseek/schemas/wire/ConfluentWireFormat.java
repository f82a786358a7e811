package io.streamseek.schemas.wire;

import io.streamseek.schemas.ErrorCode;

/**
 * The Confluent wire format: magic byte {@code 0x00}, the writer schema's registry id as a 4-byte
 * big-endian int, then the Avro binary encoding of one datum.
 */
public final class ConfluentWireFormat {

    public static final byte MAGIC_BYTE = 0x00;
    public static final int HEADER_SIZE = 5;

    private ConfluentWireFormat() {
    }

    /**
     * The schema id in the header of {@code payload}.
     *
     * @throws WireFormatException TRUNCATED_PAYLOAD for a null or short payload, BAD_MAGIC_BYTE when
     *     the first byte is not {@code 0x00}
     */
    public static int schemaId(byte[] payload) {
        if (payload == null) {
            throw new WireFormatException(ErrorCode.TRUNCATED_PAYLOAD, "No value (a tombstone): expected a Confluent wire-format Avro payload");
        }
        if (payload.length < HEADER_SIZE) {
            throw new WireFormatException(ErrorCode.TRUNCATED_PAYLOAD, "Payload of " + payload.length
                    + " bytes is shorter than the 5-byte Confluent wire-format header (magic byte 0x00 + 4-byte schema id)");
        }
        if (payload[0] != MAGIC_BYTE) {
            throw new WireFormatException(ErrorCode.BAD_MAGIC_BYTE, String.format(
                    "Expected the Confluent wire format's magic byte 0x00 but found 0x%02x%s",
                    payload[0] & 0xff, hint(payload[0])));
        }
        return (payload[1] & 0xff) << 24 | (payload[2] & 0xff) << 16 | (payload[3] & 0xff) << 8 | (payload[4] & 0xff);
    }

    /** Writes the 5-byte header for {@code schemaId} into the start of {@code target}. */
    public static void writeHeader(int schemaId, byte[] target) {
        target[0] = MAGIC_BYTE;
        target[1] = (byte) (schemaId >>> 24);
        target[2] = (byte) (schemaId >>> 16);
        target[3] = (byte) (schemaId >>> 8);
        target[4] = (byte) schemaId;
    }

    /** A guess at what was sent instead, for the common mistakes. */
    private static String hint(byte first) {
        if (first == '{' || first == '[') {
            return " ('" + (char) first + "'): the value looks like JSON, not Confluent-framed Avro";
        }
        if (first >= 0x20 && first < 0x7f) {
            return " ('" + (char) first + "'): the value looks like text, not Confluent-framed Avro";
        }
        return "";
    }
}
