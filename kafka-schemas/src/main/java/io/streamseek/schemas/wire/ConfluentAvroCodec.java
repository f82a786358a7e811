package io.streamseek.schemas.wire;

import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.registry.SchemaRegistryClient;
import io.streamseek.schemas.registry.SchemaRegistryException;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Reads and writes one generated Avro record type in the Confluent wire format, resolving writer
 * schemas through a {@link SchemaRegistryClient}. The single place where bytes meet records: the
 * Kafka serdes and the Flink (de)serialization schemas all delegate here.
 *
 * <p>Reading resolves the writer schema (by the payload's id) against this type's schema with
 * Avro's own resolution rules, so records written with any compatible earlier version decode into
 * the current class. Every failure is a {@link WireFormatException} with the contract's
 * {@link ErrorCode}; nothing else escapes and nothing is retried here.
 *
 * <p>Thread-safe: per-id readers are cached, and each payload gets its own decoder.
 */
public final class ConfluentAvroCodec<T extends SpecificRecord> {

    static {
        DecodeLimits.applyAvroDefaults();
    }

    private final Class<T> type;
    private final Schema readerSchema;
    private final SpecificData model;
    private final SchemaRegistryClient registry;
    private final DecodeLimits limits;
    private final SpecificDatumWriter<T> writer;
    private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySubject = new ConcurrentHashMap<>();

    public ConfluentAvroCodec(Class<T> type, SchemaRegistryClient registry, DecodeLimits limits) {
        this.type = Objects.requireNonNull(type, "type");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.model = SpecificData.getForClass(type);
        this.readerSchema = model.getSchema(type);
        this.writer = new SpecificDatumWriter<>(readerSchema, model);
    }

    /** The generated class this codec reads and writes. */
    public Class<T> type() {
        return type;
    }

    /** The schema this codec reads into and writes with. */
    public Schema schema() {
        return readerSchema;
    }

    /**
     * Encodes {@code record} under the id of this type's schema in {@code subject}.
     *
     * @param autoRegister register the schema when the subject does not have it yet (Confluent's
     *     {@code auto.register.schemas}); otherwise it must already be registered
     */
    public byte[] encode(String subject, T record, boolean autoRegister) {
        int id = idsBySubject.computeIfAbsent(subject, s -> schemaIdFor(s, autoRegister));
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(new byte[ConfluentWireFormat.HEADER_SIZE], 0, ConfluentWireFormat.HEADER_SIZE);
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new WireFormatException(ErrorCode.INVALID_REQUEST,
                    "Cannot encode " + readerSchema.getName() + " for subject '" + subject + "': " + e.getMessage(), e);
        }
        byte[] payload = out.toByteArray();
        ConfluentWireFormat.writeHeader(id, payload);
        return payload;
    }

    /**
     * Decodes one wire-format payload.
     *
     * @throws WireFormatException TRUNCATED_PAYLOAD, BAD_MAGIC_BYTE, UNKNOWN_SCHEMA_ID,
     *     REGISTRY_UNAVAILABLE (retriable), SCHEMA_MISMATCH or MALFORMED_AVRO
     */
    public T decode(byte[] payload) {
        int id = ConfluentWireFormat.schemaId(payload);
        SpecificDatumReader<T> reader = readers.get(id);
        if (reader == null) {
            reader = readerFor(id);
            readers.put(id, reader);
        }
        BoundedBinaryDecoder decoder = new BoundedBinaryDecoder(payload, ConfluentWireFormat.HEADER_SIZE,
                payload.length - ConfluentWireFormat.HEADER_SIZE, limits);
        T record;
        try {
            record = reader.read(null, decoder);
        } catch (WireFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Avro's resolver reports bad union indexes, enum ordinals and the like with its own types.
            throw new WireFormatException(ErrorCode.MALFORMED_AVRO, "Malformed Avro data for schema id " + id
                    + " (" + reader.getSchema().getFullName() + ") at byte " + decoder.position() + ": " + describe(e), e);
        }
        if (decoder.remaining() != 0) {
            throw new WireFormatException(ErrorCode.MALFORMED_AVRO, decoder.remaining() + " bytes left over after a complete "
                    + reader.getSchema().getFullName() + " record (schema id " + id + "): the payload is not one record of this schema");
        }
        return record;
    }

    private int schemaIdFor(String subject, boolean autoRegister) {
        try {
            return autoRegister ? registry.register(subject, readerSchema) : registry.idOf(subject, readerSchema);
        } catch (SchemaRegistryException e) {
            ErrorCode code = e.isRetriable() ? ErrorCode.REGISTRY_UNAVAILABLE : ErrorCode.SCHEMA_MISMATCH;
            throw new WireFormatException(code, "Cannot get a schema id for " + readerSchema.getFullName()
                    + " under subject '" + subject + "': " + e.getMessage(), e);
        }
    }

    private SpecificDatumReader<T> readerFor(int id) {
        if (id <= 0) {
            // Registries number schemas from 1: no need to ask.
            throw new WireFormatException(ErrorCode.UNKNOWN_SCHEMA_ID, "Unknown schema id " + id + ": schema ids are positive");
        }
        Schema writerSchema;
        try {
            writerSchema = registry.schemaById(id);
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                throw new WireFormatException(ErrorCode.UNKNOWN_SCHEMA_ID, "Unknown schema id " + id
                        + ": the schema registry has no schema with this id (" + e.getMessage() + ")", e);
            }
            throw new WireFormatException(ErrorCode.REGISTRY_UNAVAILABLE, "Cannot fetch schema id " + id
                    + " from the schema registry: " + e.getMessage(), e);
        }
        SchemaPairCompatibility compatibility = SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writerSchema);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            String reasons = compatibility.getResult().getIncompatibilities().stream()
                    .map(i -> i.getType() + " at " + i.getLocation() + (i.getMessage() == null ? "" : " (" + i.getMessage() + ")"))
                    .limit(5)
                    .collect(Collectors.joining("; "));
            throw new WireFormatException(ErrorCode.SCHEMA_MISMATCH, "Schema id " + id + " (" + writerSchema.getFullName()
                    + ") cannot be read as " + readerSchema.getFullName() + ": " + reasons);
        }
        return new SpecificDatumReader<>(writerSchema, readerSchema, model);
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        if (e instanceof AvroRuntimeException || message == null) {
            return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        }
        return message;
    }
}
