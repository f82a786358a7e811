package io.streamseek.flink.serde;

import io.streamseek.schemas.registry.RestSchemaRegistryClient;
import io.streamseek.schemas.registry.SchemaRegistryClient;

import java.util.HashMap;
import java.util.Map;

/**
 * Opens {@link RestSchemaRegistryClient}s from Confluent-style client settings
 * ({@code schema.registry.url}, {@code basic.auth.*}, {@code schema.registry.ssl.*}).
 */
public final class RestRegistryClientFactory implements RegistryClientFactory {

    private static final long serialVersionUID = 1L;

    private final HashMap<String, String> configs;

    public RestRegistryClientFactory(Map<String, String> configs) {
        this.configs = new HashMap<>(configs);
    }

    @Override
    public SchemaRegistryClient open() {
        return RestSchemaRegistryClient.create(configs);
    }

    @Override
    public String toString() {
        // Credentials stay out of logs and job graphs printed by Flink.
        return "RestRegistryClientFactory{" + configs.getOrDefault("schema.registry.url", "?") + "}";
    }
}
