package io.streamseek.flink.source;

import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.PromptRequest;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

import java.util.Map;

/**
 * One record of the prompts topic: a decoded request with its origin, or the dead letter of a
 * record that could not be decoded. Exactly one of {@code request} and {@code deadLetter} is set.
 */
public class PromptEnvelope {

    public PromptRequest request;
    public RecordOrigin origin;
    public DeadLetter deadLetter;

    public PromptEnvelope() {
    }

    public static PromptEnvelope of(PromptRequest request, RecordOrigin origin) {
        PromptEnvelope envelope = new PromptEnvelope();
        envelope.request = request;
        envelope.origin = origin;
        return envelope;
    }

    public static PromptEnvelope undecodable(DeadLetter deadLetter) {
        PromptEnvelope envelope = new PromptEnvelope();
        envelope.deadLetter = deadLetter;
        return envelope;
    }

    public boolean decoded() {
        return request != null;
    }

    /** Avro for the records, a POJO around them: no Kryo anywhere. */
    public static TypeInformation<PromptEnvelope> typeInfo() {
        return Types.POJO(PromptEnvelope.class, Map.of(
                "request", new AvroTypeInfo<>(PromptRequest.class),
                "origin", Types.POJO(RecordOrigin.class),
                "deadLetter", new AvroTypeInfo<>(DeadLetter.class)));
    }
}
