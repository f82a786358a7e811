package io.streamseek.schemas.serde;

import io.streamseek.schemas.registry.SchemaRegistryClient;
import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka {@link Serializer} writing one generated Avro type in the Confluent wire format, under
 * the TopicNameStrategy subject {@code <topic>-value}. For plain Kafka clients: tests, tools and
 * the demo producer. A null record is written as a null value (a tombstone).
 */
public final class ConfluentAvroSerializer<T extends SpecificRecord> implements Serializer<T> {

    private final ConfluentAvroCodec<T> codec;
    private final boolean autoRegister;

    /** Registers the schema under the subject on first use, as Confluent's {@code auto.register.schemas=true}. */
    public ConfluentAvroSerializer(Class<T> type, SchemaRegistryClient registry) {
        this(type, registry, true);
    }

    /**
     * @param autoRegister false to require the schema to be registered beforehand (production
     *     registries often forbid clients from registering)
     */
    public ConfluentAvroSerializer(Class<T> type, SchemaRegistryClient registry, boolean autoRegister) {
        this.codec = new ConfluentAvroCodec<>(type, registry, DecodeLimits.DEFAULT);
        this.autoRegister = autoRegister;
    }

    @Override
    public byte[] serialize(String topic, T record) {
        return record == null ? null : codec.encode(Topic.valueSubject(topic), record, autoRegister);
    }
}
