package io.streamseek.flink.dedup;

import io.streamseek.flink.source.PromptEnvelope;
import io.streamseek.flink.source.RecordOrigin;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.runtime.state.storage.FileSystemCheckpointStorage;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the idempotency window costs in checkpointed state: {@code streamseek.sizing.ids} request
 * ids (UUIDs, as callers use; 20,000 by default) remembered by {@link FirstRequestFilter}, then a
 * checkpoint, on the heap backend and on RocksDB with incremental checkpoints (the cluster's). It
 * prints the bytes per million ids and the snapshot's time, the figures behind the sizing rule in
 * flink-jobs/README.md; it asserts only the size, which does not depend on this machine's load.
 * {@code mvn -pl flink-jobs test -Dtest=IdempotencyStateSizeTest -Dstreamseek.sizing.ids=1000000}
 * measures a million.
 */
class IdempotencyStateSizeTest {

    private static final int IDS = Integer.getInteger("streamseek.sizing.ids", 20_000);

    @Test
    void aRememberedRequestIdCostsUnderOneHundredBytesOfCheckpointOnEitherBackend(@TempDir Path dir) throws Exception {
        double heap = measure("hashmap", new HashMapStateBackend(), dir.resolve("heap"));
        double rocksdb = measure("rocksdb (incremental)", new EmbeddedRocksDBStateBackend(true), dir.resolve("rocksdb"));
        assertThat(heap).as("checkpoint bytes per remembered id, heap").isLessThan(100);
        assertThat(rocksdb).as("checkpoint bytes per remembered id, RocksDB").isLessThan(100);
    }

    /** Checkpoint bytes per remembered id. */
    private static double measure(String name, StateBackend backend, Path checkpoints) throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, PromptEnvelope, PromptEnvelope> harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new FirstRequestFilter(Duration.ofHours(24))), e -> e.request.getRequestId(), Types.STRING, 128, 1, 0)) {
            harness.setStateBackend(backend);
            harness.setCheckpointStorage(new FileSystemCheckpointStorage(checkpoints.toUri()));
            harness.open();
            PromptEnvelope envelope = PromptEnvelope.of(PromptRequest.newBuilder().setRequestId("").setTenantId("t").setInput(new TextPrompt("x"))
                    .setSampling(SamplingParams.newBuilder().build()).setCreatedAt(Instant.EPOCH).build(), new RecordOrigin("prompts", 0, 0, 0, null, null));
            long start = System.nanoTime();
            for (int i = 0; i < IDS; i++) {
                envelope.request.setRequestId(UUID.randomUUID().toString());
                harness.processElement(envelope, i);
            }
            double insertSeconds = (System.nanoTime() - start) / 1e9;
            harness.getOutput().clear();
            start = System.nanoTime();
            OperatorSubtaskState state = harness.snapshot(1, 1);
            double snapshotSeconds = (System.nanoTime() - start) / 1e9;
            double perId = (double) state.getStateSize() / IDS;
            System.out.printf("idempotency state, %-22s %,d ids: checkpoint %,d bytes = %.1f bytes/id = %.1f MB per million ids; "
                            + "snapshot %.2f s, inserts %.0f ids/s%n", name, IDS, state.getStateSize(), perId, perId, snapshotSeconds,
                    IDS / insertSeconds);
            return perId;
        }
    }
}
