package io.streamseek.schemas.registry;

import io.streamseek.schemas.topics.Topic;

import java.util.EnumMap;
import java.util.Map;

/**
 * Registers the contract: the current value schema of every topic under {@code <topic>-value}, with
 * the subject's compatibility level set first. What {@code register-schemas} does against any
 * registry, and what the local stacks do when they start, so that a Confluent client with automatic
 * registration off can produce at once. Registering a schema already there returns its id.
 */
public final class ContractSchemas {

    /** The level a subject gets unless told otherwise: every new version can read every old one. */
    public static final CompatibilityLevel DEFAULT_COMPATIBILITY = CompatibilityLevel.BACKWARD_TRANSITIVE;

    private ContractSchemas() {
    }

    /** @return each topic's schema id */
    public static Map<Topic, Integer> register(SchemaRegistryClient client, CompatibilityLevel level) {
        Map<Topic, Integer> ids = new EnumMap<>(Topic.class);
        for (Topic topic : Topic.values()) {
            client.setCompatibility(topic.valueSubject(), level);
            ids.put(topic, client.register(topic.valueSubject(), topic.valueSchema()));
        }
        return ids;
    }
}
