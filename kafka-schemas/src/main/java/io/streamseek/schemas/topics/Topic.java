package io.streamseek.schemas.topics;

import io.streamseek.schemas.Completion;
import io.streamseek.schemas.CostRollup;
import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.TokenCost;

import org.apache.avro.Schema;
import org.apache.kafka.common.config.TopicConfig;

import java.time.Duration;
import java.util.Map;

/**
 * The topics of the StreamSeek contract, defined once: name, default partition count, topic
 * configs and the Avro schema of their values. Every other place (jobs, local stack, deployment
 * files and the tests that keep them honest) reads these definitions.
 *
 * <p>Value subjects follow Confluent's TopicNameStrategy: {@code <topic>-value}. Keys are the
 * UTF-8 bytes of a string (see each record's doc), so any Kafka client can partition and read them.
 */
public enum Topic {
    PROMPTS("prompts", 6, PromptRequest.getClassSchema(), Duration.ofDays(7)),
    COMPLETIONS("completions", 6, Completion.getClassSchema(), Duration.ofDays(7)),
    TOKEN_COSTS("token-costs", 6, TokenCost.getClassSchema(), Duration.ofDays(30)),
    COST_ROLLUPS("cost-rollups", 1, CostRollup.getClassSchema(), Duration.ofDays(365)),
    /** Kept longest: a dead letter is the only copy of a record the pipeline could not serve. */
    DEAD_LETTERS("dead-letters", 1, DeadLetter.getClassSchema(), Duration.ofDays(90));

    private final String topicName;
    private final int defaultPartitions;
    private final Schema valueSchema;
    private final Duration retention;

    Topic(String topicName, int defaultPartitions, Schema valueSchema, Duration retention) {
        this.topicName = topicName;
        this.defaultPartitions = defaultPartitions;
        this.valueSchema = valueSchema;
        this.retention = retention;
    }

    /** The Kafka topic name. */
    public String topicName() {
        return topicName;
    }

    /** Partitions created when the deployment does not choose another count. */
    public int defaultPartitions() {
        return defaultPartitions;
    }

    /** The current schema of this topic's values. */
    public Schema valueSchema() {
        return valueSchema;
    }

    /** The schema registry subject of this topic's values (TopicNameStrategy). */
    public String valueSubject() {
        return valueSubject(topicName);
    }

    /** Topic-level configs every deployment of this topic gets. */
    public Map<String, String> configs() {
        return Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.RETENTION_MS_CONFIG, Long.toString(retention.toMillis()),
                // Producers write in CreateTime; rollups window on the record's own time.
                TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "CreateTime");
    }

    /** The TopicNameStrategy subject for the values of any topic. */
    public static String valueSubject(String topicName) {
        return topicName + "-value";
    }

    /** The definition whose topic name is {@code topicName}. */
    public static Topic byName(String topicName) {
        for (Topic topic : values()) {
            if (topic.topicName.equals(topicName)) {
                return topic;
            }
        }
        throw new IllegalArgumentException("Unknown topic '" + topicName + "'; the contract's topics are "
                + java.util.Arrays.stream(values()).map(Topic::topicName).toList());
    }
}
