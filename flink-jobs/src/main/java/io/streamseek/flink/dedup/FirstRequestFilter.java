package io.streamseek.flink.dedup;

import io.streamseek.flink.source.PromptEnvelope;
import io.streamseek.flink.source.RecordOrigin;

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
 *
 * <p>One exception: a record with the {@link RecordOrigin#REPLAY_HEADER} header passes once more.
 * {@code ./streamseek audit --replay} produces those for requests whose answer Flink's loss window
 * took (consumed by a completed checkpoint, answer aborted by the broker), which this filter has
 * seen and would otherwise drop for good. A second replay of the same id is dropped like any
 * repeat; replays are counted in {@code replayedRequests}.
 */
public final class FirstRequestFilter extends KeyedProcessFunction<String, PromptEnvelope, PromptEnvelope> {

    private static final long serialVersionUID = 1L;

    private final Duration ttl;
    private transient ValueState<Boolean> seen;
    private transient ValueState<Boolean> replayed;
    private transient Counter duplicates;
    private transient Counter replays;

    public FirstRequestFilter(Duration ttl) {
        this.ttl = ttl;
    }

    @Override
    public void open(OpenContext context) {
        seen = getRuntimeContext().getState(descriptor("seen"));
        replayed = getRuntimeContext().getState(descriptor("replayed"));
        duplicates = getRuntimeContext().getMetricGroup().counter("duplicateRequests");
        replays = getRuntimeContext().getMetricGroup().counter("replayedRequests");
    }

    private ValueStateDescriptor<Boolean> descriptor(String name) {
        ValueStateDescriptor<Boolean> descriptor = new ValueStateDescriptor<>(name, Types.BOOLEAN);
        // An id is written once and never read again unless repeated, so expired ids must be dropped
        // without being read: by RocksDB's compaction filter (and a periodic compaction, as cold files
        // are otherwise never compacted), by the heap backend a few entries per state access, and in
        // full snapshots (savepoints) as they are written.
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .cleanupInRocksdbCompactFilter(1000, Duration.ofHours(1))
                .cleanupIncrementally(10, false)
                .cleanupFullSnapshot()
                .build());
        return descriptor;
    }

    @Override
    public void processElement(PromptEnvelope envelope, Context context, Collector<PromptEnvelope> out) throws Exception {
        boolean replay = envelope.origin != null && envelope.origin.replay;
        if (replay ? replayed.value() != null : seen.value() != null) {
            duplicates.inc();
            return;
        }
        if (replay) {
            replayed.update(Boolean.TRUE);
            replays.inc();
        }
        seen.update(Boolean.TRUE);
        out.collect(envelope);
    }
}
