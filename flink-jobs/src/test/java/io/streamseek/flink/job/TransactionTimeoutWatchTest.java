package io.streamseek.flink.job;

import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.SavepointType;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class TransactionTimeoutWatchTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(10);
    private static final long CHECKPOINT_TIME = 1_700_000_000_000L;

    /** The harness runs in this JVM, so a static clock reaches the operator without serialization. */
    private static final AtomicLong NOW = new AtomicLong();

    @Test
    void aRestoreOlderThanTheTransactionTimeoutIsCountedAndItsAgeShown() throws Exception {
        OperatorSubtaskState state = checkpoint(false);
        TransactionTimeoutWatch<String> watch = restoreAt(state, CHECKPOINT_TIME + TIMEOUT.toMillis() + 1_000);
        assertThat(watch.restoresPastTransactionTimeout()).isEqualTo(1);
        assertThat(watch.restoredSnapshotAgeMs()).isEqualTo(TIMEOUT.toMillis() + 1_000);
    }

    @Test
    void aRestoreWithinTheTimeoutIsNotReported() throws Exception {
        TransactionTimeoutWatch<String> watch = restoreAt(checkpoint(false), CHECKPOINT_TIME + TIMEOUT.toMillis() - 1_000);
        assertThat(watch.restoresPastTransactionTimeout()).isZero();
        assertThat(watch.restoredSnapshotAgeMs()).isEqualTo(TIMEOUT.toMillis() - 1_000);
    }

    @Test
    void aStopWithSavepointIsCommittedBeforeTheJobEndsSoALateRestoreFromItIsNotReported() throws Exception {
        TransactionTimeoutWatch<String> watch = restoreAt(checkpoint(true), CHECKPOINT_TIME + Duration.ofDays(3).toMillis());
        assertThat(watch.restoresPastTransactionTimeout()).isZero();
    }

    @Test
    void theReportNamesTheCheckpointTheTimeoutAndTheAudit() {
        var restored = java.util.List.of(org.apache.flink.api.java.tuple.Tuple3.of(41L, CHECKPOINT_TIME - 5_000, false),
                org.apache.flink.api.java.tuple.Tuple3.of(42L, CHECKPOINT_TIME, false));
        String report = TransactionTimeoutWatch.assess(restored, CHECKPOINT_TIME + 700_000, TIMEOUT).orElseThrow();
        assertThat(report).contains("checkpoint 42", "700 s ago", "streamseek.sink.transaction-timeout = PT10M", "./streamseek audit");
        assertThat(TransactionTimeoutWatch.assess(java.util.List.of(), CHECKPOINT_TIME, TIMEOUT)).isEmpty();
    }

    @Test
    void recordsPassThroughUnchanged() throws Exception {
        try (OneInputStreamOperatorTestHarness<String, String> harness = harness(new TransactionTimeoutWatch<>(TIMEOUT, NOW::get))) {
            harness.open();
            harness.processElement(new StreamRecord<>("a", 5));
            harness.processElement(new StreamRecord<>("b", 6));
            assertThat(harness.extractOutputValues()).containsExactly("a", "b");
            assertThat(harness.getOperator() instanceof TransactionTimeoutWatch<?> w ? w.restoredSnapshotAgeMs() : 0).isEqualTo(-1);
        }
    }

    private static OperatorSubtaskState checkpoint(boolean stopWithSavepoint) throws Exception {
        try (OneInputStreamOperatorTestHarness<String, String> harness = harness(new TransactionTimeoutWatch<>(TIMEOUT, NOW::get))) {
            harness.open();
            harness.processElement(new StreamRecord<>("prompt", 1));
            return stopWithSavepoint
                    ? harness.snapshotWithLocalState(42, CHECKPOINT_TIME, SavepointType.suspend(SavepointFormatType.CANONICAL)).getJobManagerOwnedState()
                    : harness.snapshot(42, CHECKPOINT_TIME);
        }
    }

    private static TransactionTimeoutWatch<String> restoreAt(OperatorSubtaskState state, long now) throws Exception {
        NOW.set(now);
        TransactionTimeoutWatch<String> watch = new TransactionTimeoutWatch<>(TIMEOUT, NOW::get);
        try (OneInputStreamOperatorTestHarness<String, String> harness = harness(watch)) {
            harness.initializeState(state);
            harness.open();
        }
        return watch;
    }

    private static OneInputStreamOperatorTestHarness<String, String> harness(TransactionTimeoutWatch<String> watch) throws Exception {
        return new OneInputStreamOperatorTestHarness<>(watch, StringSerializer.INSTANCE);
    }
}
