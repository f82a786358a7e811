package io.streamseek.flink.dedup;

import io.streamseek.flink.source.PromptEnvelope;
import io.streamseek.flink.source.RecordOrigin;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class FirstRequestFilterTest {

    @Test
    void aRepeatIsDroppedAReplayPassesOnceThenIsDroppedToo() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, PromptEnvelope, PromptEnvelope> harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new FirstRequestFilter(Duration.ofHours(1))), e -> e.request.getRequestId(), Types.STRING)) {
            harness.open();
            harness.processElement(envelope("a", 0, false), 1);
            harness.processElement(envelope("a", 1, false), 2); // a caller's retry
            harness.processElement(envelope("a", 2, true), 3);  // the audit's replay: the first answer was lost
            harness.processElement(envelope("a", 3, true), 4);  // replayed twice by mistake
            harness.processElement(envelope("b", 4, true), 5);  // a replay of an id never seen is served
            harness.processElement(envelope("b", 5, false), 6);
            assertThat(harness.extractOutputValues()).extracting(e -> e.request.getRequestId() + "@" + e.origin.offset)
                    .containsExactly("a@0", "a@2", "b@4");
        }
    }

    private static PromptEnvelope envelope(String id, long offset, boolean replay) {
        PromptRequest request = PromptRequest.newBuilder().setRequestId(id).setTenantId("t").setInput(new TextPrompt("x"))
                .setSampling(SamplingParams.newBuilder().build()).setCreatedAt(Instant.EPOCH).build();
        RecordOrigin origin = new RecordOrigin("prompts", 0, offset, 0, null, null);
        origin.replay = replay;
        return PromptEnvelope.of(request, origin);
    }
}
