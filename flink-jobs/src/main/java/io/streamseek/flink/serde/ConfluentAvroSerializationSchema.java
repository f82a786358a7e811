package io.streamseek.flink.serde;

import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;

/**
 * Writes one generated Avro type to a fixed topic in the Confluent wire format, under the
 * TopicNameStrategy subject {@code <topic>-value}, keyed by the UTF-8 bytes of a string taken from
 * the record (the contract keys by {@code request_id} or {@code tenant_id}).
 */
public final class ConfluentAvroSerializationSchema<T extends SpecificRecordBase> implements KafkaRecordSerializationSchema<T> {

    private static final long serialVersionUID = 1L;

    private final Class<T> type;
    private final String topic;
    private final SerializableFunction<T, String> key;
    private final RegistryClientFactory registry;
    private final boolean autoRegister;
    private transient ConfluentAvroCodec<T> codec;

    /**
     * @param key the record's Kafka key as text; a null key leaves partitioning to the producer
     * @param autoRegister register the schema on first use; false when the registry is managed and
     *     schemas are registered beforehand ({@code ./streamseek register-schemas})
     */
    public ConfluentAvroSerializationSchema(Class<T> type, String topic, SerializableFunction<T, String> key,
                                            RegistryClientFactory registry, boolean autoRegister) {
        this.type = type;
        this.topic = topic;
        this.key = key;
        this.registry = registry;
        this.autoRegister = autoRegister;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        codec = new ConfluentAvroCodec<>(type, registry.open(), DecodeLimits.DEFAULT);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        String keyText = key.apply(element);
        byte[] value = codec.encode(Topic.valueSubject(topic), element, autoRegister);
        return new ProducerRecord<>(topic, null, timestamp, keyText == null ? null : keyText.getBytes(StandardCharsets.UTF_8), value);
    }
}
