package io.streamseek.schemas.topics;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates the contract's topics, idempotently: a topic that already exists is left as it is
 * (its partition count is never changed behind the operator's back), a missing one is created.
 */
public final class TopicProvisioner {

    private final Admin admin;
    private final short replicationFactor;
    private final long timeoutMs;

    /**
     * @param admin an admin client of the target cluster; not closed by this class
     * @param replicationFactor replicas per partition; 1 for a single local broker, 3 in production
     * @param timeoutMs how long to wait for the cluster to answer
     */
    public TopicProvisioner(Admin admin, short replicationFactor, long timeoutMs) {
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replicationFactor must be at least 1, was " + replicationFactor);
        }
        this.admin = admin;
        this.replicationFactor = replicationFactor;
        this.timeoutMs = timeoutMs;
    }

    /** Ensures every topic of the contract exists; returns the names of those it created. */
    public List<String> ensureContractTopics() {
        List<NewTopic> topics = new ArrayList<>();
        for (Topic topic : Topic.values()) {
            topics.add(new NewTopic(topic.topicName(), Optional.of(topic.defaultPartitions()), Optional.of(replicationFactor))
                    .configs(topic.configs()));
        }
        return ensure(topics);
    }

    /** Ensures the given topics exist; returns the names of those it created. */
    public List<String> ensure(Collection<NewTopic> topics) {
        Map<String, KafkaFuture<Void>> results = admin.createTopics(topics).values();
        List<String> created = new ArrayList<>();
        for (Map.Entry<String, KafkaFuture<Void>> result : results.entrySet()) {
            try {
                result.getValue().get(timeoutMs, TimeUnit.MILLISECONDS);
                created.add(result.getKey());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("Could not create topic '" + result.getKey() + "': " + e.getCause().getMessage(), e.getCause());
                }
            } catch (TimeoutException e) {
                throw new IllegalStateException("Creating topic '" + result.getKey() + "' took longer than " + timeoutMs + " ms; is the cluster reachable?", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while creating topic '" + result.getKey() + "'", e);
            }
        }
        return created;
    }
}
