package io.streamseek.flink.dedup;

import io.streamseek.flink.source.PromptEnvelope;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.time.Duration;

/**
 * Keyed by {@code request_id}: lets the first request with an id through and drops any repeat
 * seen within {@code ttl}, so that a request produced twice (a caller's retry, an at-least-once
 * producer) is neither computed nor billed twice.
 *
 * <p>Why drop rather than re-emit the stored completion: the contract promises exactly one
 * completion per {@code request_id} on the completions topic, and the first one is, or will be,
 * committed there exactly once. A second copy would break that promise for every consumer that
 * counts, and keeping completions in state would cost memory for nothing a caller can not already
 * read. Drops are counted in the {@code duplicateRequests} metric.
 */
public final class FirstRequestFilter extends KeyedProcessFunction<String, PromptEnvelope, PromptEnvelope> {

    private static final long serialVersionUID = 1L;

    private final Duration ttl;
    private transient ValueState<Boolean> seen;
    private transient Counter duplicates;

    public FirstRequestFilter(Duration ttl) {
        this.ttl = ttl;
    }

    @Override
    public void open(OpenContext context) {
        ValueStateDescriptor<Boolean> descriptor = new ValueStateDescriptor<>("seen", Types.BOOLEAN);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        seen = getRuntimeContext().getState(descriptor);
        duplicates = getRuntimeContext().getMetricGroup().counter("duplicateRequests");
    }

    @Override
    public void processElement(PromptEnvelope envelope, Context context, Collector<PromptEnvelope> out) throws Exception {
        if (seen.value() != null) {
            duplicates.inc();
            return;
        }
        seen.update(Boolean.TRUE);
        out.collect(envelope);
    }
}
