package io.streamseek.schemas.wire;

import io.streamseek.schemas.ErrorCode;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfluentWireFormatTest {

    @Test
    void headerRoundTripsBigEndianIds() {
        byte[] payload = new byte[7];
        ConfluentWireFormat.writeHeader(0x01020304, payload);
        assertThat(payload).startsWith(0, 1, 2, 3, 4);
        assertThat(ConfluentWireFormat.schemaId(payload)).isEqualTo(0x01020304);

        ConfluentWireFormat.writeHeader(Integer.MAX_VALUE, payload);
        assertThat(ConfluentWireFormat.schemaId(payload)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void jsonInsteadOfAvroIsNamed() {
        byte[] json = "{\"request_id\":\"r1\"}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ConfluentWireFormat.schemaId(json))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_MAGIC_BYTE))
                .hasMessage("Expected the Confluent wire format's magic byte 0x00 but found 0x7b ('{'): "
                        + "the value looks like JSON, not Confluent-framed Avro");
    }

    @Test
    void binaryGarbageNamesTheByte() {
        assertThatThrownBy(() -> ConfluentWireFormat.schemaId(new byte[] {(byte) 0xff, 0, 0, 0, 1}))
                .hasMessage("Expected the Confluent wire format's magic byte 0x00 but found 0xff");
    }

    @Test
    void shortAndMissingPayloadsAreTruncated() {
        assertThatThrownBy(() -> ConfluentWireFormat.schemaId(new byte[] {0, 0, 1}))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TRUNCATED_PAYLOAD))
                .hasMessage("Payload of 3 bytes is shorter than the 5-byte Confluent wire-format header (magic byte 0x00 + 4-byte schema id)");
        assertThatThrownBy(() -> ConfluentWireFormat.schemaId(null))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TRUNCATED_PAYLOAD))
                .hasMessage("No value (a tombstone): expected a Confluent wire-format Avro payload");
    }
}
