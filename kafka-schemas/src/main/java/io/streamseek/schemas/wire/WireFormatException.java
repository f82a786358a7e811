package io.streamseek.schemas.wire;

import io.streamseek.schemas.ErrorCode;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A payload that could not be read or written in the Confluent wire format. {@link #code()} is the
 * contract's own {@link ErrorCode}, so a dead letter can carry it unchanged; the message names the
 * cause (the byte found, the schema id, the field or the limit).
 *
 * <p>Extends Kafka's {@link SerializationException} so that plain Kafka consumers surface it as a
 * {@code RecordDeserializationException} they can skip past.
 */
public class WireFormatException extends SerializationException {

    private final ErrorCode code;

    public WireFormatException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public WireFormatException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** Why the payload was refused. */
    public ErrorCode code() {
        return code;
    }

    /** Whether the same payload may succeed later (the registry could not be reached); all else is permanent. */
    public boolean isRetriable() {
        return code == ErrorCode.REGISTRY_UNAVAILABLE;
    }
}
