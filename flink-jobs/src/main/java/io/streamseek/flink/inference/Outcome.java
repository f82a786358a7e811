package io.streamseek.flink.inference;

import io.streamseek.schemas.Completion;
import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.TokenCost;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

import java.util.Map;

/**
 * Everything one request leads to, emitted together so that it is committed together: its
 * completion (always), its token cost (when it was served), and a dead letter (when it was
 * rejected or failed).
 */
public class Outcome {

    public Completion completion;
    public TokenCost tokenCost;
    public DeadLetter deadLetter;

    public Outcome() {
    }

    public Outcome(Completion completion, TokenCost tokenCost, DeadLetter deadLetter) {
        this.completion = completion;
        this.tokenCost = tokenCost;
        this.deadLetter = deadLetter;
    }

    public static TypeInformation<Outcome> typeInfo() {
        return Types.POJO(Outcome.class, Map.of(
                "completion", new AvroTypeInfo<>(Completion.class),
                "tokenCost", new AvroTypeInfo<>(TokenCost.class),
                "deadLetter", new AvroTypeInfo<>(DeadLetter.class)));
    }
}
