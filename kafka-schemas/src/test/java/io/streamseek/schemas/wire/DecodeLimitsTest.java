package io.streamseek.schemas.wire;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DecodeLimitsTest {

    @Test
    void avrosOwnLimitsAreSetWhenTheCodecLoadsUnlessTheUserChoseThem() {
        new ConfluentAvroCodec<>(io.streamseek.schemas.PromptRequest.class,
                new io.streamseek.schemas.registry.RestSchemaRegistryClient(new io.streamseek.schemas.registry.RegistryClientConfig(
                        java.util.Map.of("schema.registry.url", "http://127.0.0.1:9"))), DecodeLimits.DEFAULT);
        assertThat(System.getProperty(DecodeLimits.AVRO_STRING_LIMIT)).isEqualTo(Integer.toString(16 << 20));
        assertThat(System.getProperty(DecodeLimits.AVRO_BYTES_LIMIT)).isEqualTo(Integer.toString(16 << 20));
        assertThat(System.getProperty(DecodeLimits.AVRO_COLLECTION_LIMIT)).isEqualTo("1000000");

        System.setProperty(DecodeLimits.AVRO_STRING_LIMIT, "123");
        DecodeLimits.applyAvroDefaults();
        assertThat(System.getProperty(DecodeLimits.AVRO_STRING_LIMIT)).isEqualTo("123");
        System.setProperty(DecodeLimits.AVRO_STRING_LIMIT, Integer.toString(16 << 20));
    }

    @Test
    void negativeLimitsAreRejected() {
        assertThatThrownBy(() -> new DecodeLimits(-1, 1, 1)).hasMessage("Decode limits must not be negative: -1, 1, 1");
    }
}
