package io.streamseek.schemas.registry;

import org.apache.avro.Schema;

/**
 * The operations StreamSeek needs from a Confluent-compatible schema registry, over our own
 * (unrelocated) Avro types. Implementations cache: ids and schemas are immutable once registered,
 * so a hot path asks the network at most once per id or per (subject, schema).
 *
 * <p>Every failure is a {@link SchemaRegistryException} that says whether the schema or subject
 * was not found (a permanent answer) or the registry could not be reached (worth retrying).
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /**
     * Registers {@code schema} under {@code subject} and returns its global id. Registering a schema
     * the subject already has returns the existing id and adds no version.
     *
     * @throws SchemaRegistryException with status 409 when the subject's compatibility level rejects it
     */
    int register(String subject, Schema schema);

    /**
     * The id of {@code schema} as already registered under {@code subject}, without registering it.
     *
     * @throws SchemaRegistryException with status 404 when the subject or the schema is unknown
     */
    int idOf(String subject, Schema schema);

    /**
     * The schema with global id {@code id}.
     *
     * @throws SchemaRegistryException with status 404 (error code 40403) when no schema has this id
     */
    Schema schemaById(int id);

    /** The latest registered version of {@code subject}. */
    RegisteredSchema latest(String subject);

    /** Sets the compatibility level of one subject. */
    void setCompatibility(String subject, CompatibilityLevel level);

    /** Releases connections; the client cannot be used afterwards. */
    @Override
    void close();
}
