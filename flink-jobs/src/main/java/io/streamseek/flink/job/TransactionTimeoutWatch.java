package io.streamseek.flink.job;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.checkpoint.CheckpointOptions;
import org.apache.flink.runtime.checkpoint.SavepointType;
import org.apache.flink.runtime.state.CheckpointStreamFactory;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.OperatorSnapshotFutures;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Flink's known loss window of exactly-once Kafka sinks, made loud. The results of checkpoint N are
 * committed to Kafka only after N completes; if the job goes down in between and comes back from N
 * later than the sinks' transaction timeout, the brokers have already aborted those transactions,
 * the committer can only log a warning, and the results are gone, while the source resumes after
 * the prompts they answered. Nothing in Flink fails or counts it.
 *
 * <p>This pass-through operator, placed before the sinks, remembers the time of each snapshot it
 * is part of. On a restore older than the timeout it logs an ERROR that says what may be missing
 * and how to list it ({@code ./streamseek audit}), and counts it in the
 * {@value #EXCEEDED_METRIC} metric; {@value #AGE_METRIC} is the age of the snapshot it was last
 * restored from. A stop-with-savepoint commits its transactions before the job ends, so a restore
 * from one is never at risk and never reported.
 */
public final class TransactionTimeoutWatch<T> extends AbstractStreamOperator<T> implements OneInputStreamOperator<T, T> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TransactionTimeoutWatch.class);

    /** Counter: restores from a snapshot older than the transaction timeout, whose results may be lost. */
    public static final String EXCEEDED_METRIC = "restoresPastTransactionTimeout";
    /** Gauge: milliseconds between the restored snapshot and the restore; -1 before any restore. */
    public static final String AGE_METRIC = "restoredSnapshotAgeMs";

    private final Duration transactionTimeout;
    private final Clock clock;

    /** (checkpoint id, checkpoint timestamp, committed before the job stopped), one per subtask. */
    private transient ListState<Tuple3<Long, Long, Boolean>> snapshots;
    private transient boolean synchronousSavepoint;
    private transient volatile long restoredAge;
    private transient Counter exceeded;

    public TransactionTimeoutWatch(Duration transactionTimeout) {
        this(transactionTimeout, System::currentTimeMillis);
    }

    /** With a clock other than the wall clock, for tests. */
    TransactionTimeoutWatch(Duration transactionTimeout, Clock clock) {
        this.transactionTimeout = transactionTimeout;
        this.clock = clock;
    }

    /** Milliseconds since the epoch; serializable, as the operator is shipped to the TaskManagers. */
    interface Clock extends LongSupplier, java.io.Serializable {
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        // Union state: after a restore every subtask sees every subtask's snapshot time, whatever the new parallelism.
        snapshots = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("snapshot-times",
                Types.TUPLE(Types.LONG, Types.LONG, Types.BOOLEAN)));
        exceeded = getMetricGroup().counter(EXCEEDED_METRIC);
        restoredAge = -1;
        getMetricGroup().gauge(AGE_METRIC, () -> restoredAge);
        if (context.isRestored()) {
            Iterable<Tuple3<Long, Long, Boolean>> restored = snapshots.get() == null ? List.of() : snapshots.get();
            long now = clock.getAsLong();
            Optional<String> finding = assess(restored, now, transactionTimeout);
            restoredAge = newest(restored).map(s -> now - s.f1).orElse(-1L);
            if (finding.isPresent()) {
                exceeded.inc();
                if (getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0) {
                    LOG.error(finding.get());
                }
            }
        }
    }

    /**
     * The ERROR to report for a restore at {@code now} from {@code restored}, or none when the
     * newest snapshot is younger than the timeout or was a stop-with-savepoint.
     */
    static Optional<String> assess(Iterable<Tuple3<Long, Long, Boolean>> restored, long now, Duration timeout) {
        return newest(restored).filter(s -> !s.f2 && now - s.f1 > timeout.toMillis()).map(s -> "Restored from checkpoint " + s.f0
                + ", taken " + Duration.ofMillis(now - s.f1).toSeconds() + " s ago (" + Instant.ofEpochMilli(s.f1)
                + "), longer than the sinks' transaction timeout (streamseek.sink.transaction-timeout = " + timeout + "). "
                + "If the job went down before that checkpoint's Kafka transactions were committed, the brokers have aborted them: "
                + "completions, token costs and dead letters of prompts consumed up to that checkpoint may be missing, and they will "
                + "not be computed again. List every prompt without an answer with `./streamseek audit --bootstrap-servers ... "
                + "--registry ...` and produce them again with `--replay` (see flink-jobs/README.md, 'After a long outage').");
    }

    private static Optional<Tuple3<Long, Long, Boolean>> newest(Iterable<Tuple3<Long, Long, Boolean>> restored) {
        Tuple3<Long, Long, Boolean> newest = null;
        for (Tuple3<Long, Long, Boolean> s : restored) {
            if (newest == null || s.f0 > newest.f0) {
                newest = s;
            }
        }
        return Optional.ofNullable(newest);
    }

    @Override
    public OperatorSnapshotFutures snapshotState(long checkpointId, long timestamp, CheckpointOptions checkpointOptions,
                                                 CheckpointStreamFactory factory) throws Exception {
        // Only here does Flink say what kind of snapshot this is; a synchronous savepoint (stop) is committed before the job ends.
        synchronousSavepoint = checkpointOptions.getCheckpointType() instanceof SavepointType savepoint && savepoint.isSynchronous();
        return super.snapshotState(checkpointId, timestamp, checkpointOptions, factory);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        snapshots.update(List.of(Tuple3.of(context.getCheckpointId(), context.getCheckpointTimestamp(), synchronousSavepoint)));
    }

    /** What {@value #EXCEEDED_METRIC} counts. */
    long restoresPastTransactionTimeout() {
        return exceeded.getCount();
    }

    /** What {@value #AGE_METRIC} shows. */
    long restoredSnapshotAgeMs() {
        return restoredAge;
    }

    @Override
    public void processElement(StreamRecord<T> element) {
        output.collect(element);
    }
}
