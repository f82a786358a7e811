package io.streamseek.flink.serde;

import io.streamseek.schemas.registry.SchemaRegistryClient;

import java.io.Serializable;

/**
 * Opens a schema registry client inside a Flink task. Serialization schemas are shipped to the
 * TaskManagers as serialized objects, and a client (with its connections and caches) is not: the
 * factory is, and each task opens its own client in {@code open()}.
 */
@FunctionalInterface
public interface RegistryClientFactory extends Serializable {

    SchemaRegistryClient open();
}
