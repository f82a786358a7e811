package io.streamseek.schemas.registry;

/**
 * Confluent Schema Registry's compatibility levels. BACKWARD: a new schema can read data written
 * with the previous one; FORWARD: the previous schema can read data written with the new one;
 * FULL: both. The TRANSITIVE variants check against every earlier version, not only the latest.
 * StreamSeek's topics use {@link #BACKWARD_TRANSITIVE}: consumers upgrade first and must still
 * read everything retained in the topic.
 */
public enum CompatibilityLevel {
    NONE,
    BACKWARD,
    BACKWARD_TRANSITIVE,
    FORWARD,
    FORWARD_TRANSITIVE,
    FULL,
    FULL_TRANSITIVE;

    /** Whether this level checks against every earlier version rather than only the latest. */
    public boolean isTransitive() {
        return this == BACKWARD_TRANSITIVE || this == FORWARD_TRANSITIVE || this == FULL_TRANSITIVE;
    }

    /** Whether a new schema must read data written with the old ones. */
    public boolean checksBackward() {
        return this == BACKWARD || this == BACKWARD_TRANSITIVE || this == FULL || this == FULL_TRANSITIVE;
    }

    /** Whether the old schemas must read data written with a new one. */
    public boolean checksForward() {
        return this == FORWARD || this == FORWARD_TRANSITIVE || this == FULL || this == FULL_TRANSITIVE;
    }
}
