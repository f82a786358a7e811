package io.streamseek.flink.source;

import io.streamseek.flink.serde.ConfluentAvroDeserializationSchema;
import io.streamseek.flink.serde.RegistryClientFactory;
import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;

/**
 * The prompts topic's records as {@link PromptEnvelope}s: decoding (and dead-lettering what cannot
 * be decoded) is {@link ConfluentAvroDeserializationSchema}'s; this keeps each decoded request's
 * coordinates and bytes for a dead letter further down the pipeline.
 */
public final class PromptDeserializationSchema implements KafkaRecordDeserializationSchema<PromptEnvelope> {

    private static final long serialVersionUID = 1L;

    private final ConfluentAvroDeserializationSchema<PromptRequest> decoder;

    public PromptDeserializationSchema(RegistryClientFactory registry, DecodeLimits limits) {
        this.decoder = new ConfluentAvroDeserializationSchema<>(PromptRequest.class, registry, limits);
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) throws Exception {
        decoder.open(context);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<PromptEnvelope> out) throws IOException {
        decoder.deserialize(record, new Collector<>() {
            @Override
            public void collect(Either<DeadLetter, PromptRequest> decoded) {
                if (decoded.isLeft()) {
                    out.collect(PromptEnvelope.undecodable(decoded.left()));
                    return;
                }
                RecordOrigin origin = new RecordOrigin(record.topic(), record.partition(), record.offset(), record.timestamp(),
                        record.key(), record.value());
                origin.replay = record.headers().lastHeader(RecordOrigin.REPLAY_HEADER) != null;
                out.collect(PromptEnvelope.of(decoded.right(), origin));
            }

            @Override
            public void close() {
            }
        });
    }

    @Override
    public TypeInformation<PromptEnvelope> getProducedType() {
        return PromptEnvelope.typeInfo();
    }
}
