package io.streamseek.flink.source;

import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.PipelineStage;

import java.nio.ByteBuffer;
import java.time.Instant;

/**
 * Where a prompt was read from, with its bytes exactly as read: a request that decodes but cannot
 * be served still goes to the dead-letter topic whole. A Flink POJO (public fields, no-arg
 * constructor) so that Flink serializes it without Kryo.
 */
public class RecordOrigin {

    /**
     * Kafka header of a prompt produced again because {@code ./streamseek audit} found it consumed
     * but never answered (Flink's loss window); any value. Such a record passes the idempotency
     * filter once more, though its request_id was seen: the first copy's answer was lost.
     */
    public static final String REPLAY_HEADER = "streamseek-replay";

    public String topic;
    public int partition;
    public long offset;
    /** The record's Kafka timestamp in epoch millis; negative when it had none. */
    public long timestamp;
    public byte[] key;
    public byte[] value;
    /** The record carried {@link #REPLAY_HEADER}. */
    public boolean replay;

    public RecordOrigin() {
    }

    public RecordOrigin(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.key = key;
        this.value = value;
    }

    /** The dead letter of this record, failed at {@code stage} for {@code code}. */
    public DeadLetter deadLetter(String requestId, ErrorCode code, String message, PipelineStage stage, Instant now) {
        return DeadLetter.newBuilder()
                .setSourceTopic(topic)
                .setSourcePartition(partition)
                .setSourceOffset(offset)
                .setSourceTimestamp(timestamp < 0 ? null : Instant.ofEpochMilli(timestamp))
                .setOriginalKey(key == null ? null : ByteBuffer.wrap(key))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(value))
                .setRequestId(requestId)
                .setErrorCode(code)
                .setErrorMessage(message)
                .setStage(stage)
                .setFailedAt(now)
                .build();
    }
}
