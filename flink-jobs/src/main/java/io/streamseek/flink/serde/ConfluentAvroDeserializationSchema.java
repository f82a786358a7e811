package io.streamseek.flink.serde;

import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.PipelineStage;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;
import io.streamseek.schemas.wire.WireFormatException;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;

/**
 * Reads Confluent wire-format Avro from Kafka into {@code Either.Right(record)}, and turns every
 * record that cannot be read into {@code Either.Left(deadLetter)} carrying its original bytes,
 * coordinates and the reason: a poison pill never fails or stalls the job.
 *
 * <p>One exception: when the schema registry cannot be reached the record is not bad, so this
 * throws and lets Flink restart from the last checkpoint instead of dead-lettering good data.
 */
public final class ConfluentAvroDeserializationSchema<T extends SpecificRecordBase>
        implements KafkaRecordDeserializationSchema<Either<DeadLetter, T>> {

    private static final long serialVersionUID = 1L;

    private final Class<T> type;
    private final RegistryClientFactory registry;
    private final DecodeLimits limits;
    private transient ConfluentAvroCodec<T> codec;
    private transient Clock clock;

    public ConfluentAvroDeserializationSchema(Class<T> type, RegistryClientFactory registry, DecodeLimits limits) {
        this.type = type;
        this.registry = registry;
        this.limits = limits;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        codec = new ConfluentAvroCodec<>(type, registry.open(), limits);
        clock = Clock.systemUTC();
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Either<DeadLetter, T>> out) throws IOException {
        T value;
        try {
            value = codec.decode(record.value());
        } catch (WireFormatException e) {
            if (e.isRetriable()) {
                throw new IOException("Schema registry unavailable while reading " + record.topic() + "-"
                        + record.partition() + "@" + record.offset() + "; failing so the record is read again after restart", e);
            }
            out.collect(Either.Left(deadLetter(record, e.code(), e.getMessage(), clock.instant())));
            return;
        }
        out.collect(Either.Right(value));
    }

    @Override
    public TypeInformation<Either<DeadLetter, T>> getProducedType() {
        return new EitherTypeInfo<>(new AvroTypeInfo<>(DeadLetter.class), new AvroTypeInfo<>(type));
    }

    /** A dead letter for a record that failed at deserialization; the key, the contract's request_id, is kept when it is text. */
    static DeadLetter deadLetter(ConsumerRecord<byte[], byte[]> record, ErrorCode code, String message, Instant now) {
        return DeadLetter.newBuilder()
                .setSourceTopic(record.topic())
                .setSourcePartition(record.partition())
                .setSourceOffset(record.offset())
                .setSourceTimestamp(record.timestamp() < 0 ? null : Instant.ofEpochMilli(record.timestamp()))
                .setOriginalKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setOriginalValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
                .setRequestId(utf8OrNull(record.key()))
                .setErrorCode(code)
                .setErrorMessage(message)
                .setStage(PipelineStage.DESERIALIZATION)
                .setFailedAt(now)
                .build();
    }

    private static String utf8OrNull(byte[] key) {
        if (key == null || key.length == 0) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(key)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
