package io.streamseek.schemas.serde;

import io.streamseek.schemas.registry.SchemaRegistryClient;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;
import io.streamseek.schemas.wire.WireFormatException;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * A Kafka {@link Deserializer} reading Confluent wire-format Avro into one generated type, resolving
 * any compatible writer schema. A payload that cannot be read throws a {@link WireFormatException}
 * naming the cause; the consumer surfaces it as a {@code RecordDeserializationException} whose
 * offset the caller can skip.
 */
public final class ConfluentAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    private final ConfluentAvroCodec<T> codec;

    public ConfluentAvroDeserializer(Class<T> type, SchemaRegistryClient registry) {
        this(type, registry, DecodeLimits.DEFAULT);
    }

    public ConfluentAvroDeserializer(Class<T> type, SchemaRegistryClient registry, DecodeLimits limits) {
        this.codec = new ConfluentAvroCodec<>(type, registry, limits);
    }

    @Override
    public T deserialize(String topic, byte[] payload) {
        return codec.decode(payload);
    }
}
