package io.streamseek.infra.cli;

import io.streamseek.infra.cluster.ClusterFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} and {@code --switch} arguments of one command, checked against the ones it knows. */
final class Flags {

    private final Map<String, String> values = new HashMap<>();

    Flags(String command, String[] args, Set<String> withValue, Set<String> switches, String usage) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (switches.contains(arg)) {
                values.put(arg, "true");
            } else if (withValue.contains(arg)) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(command + ": " + arg + " needs a value\n" + usage);
                }
                values.put(arg, args[++i]);
            } else {
                throw new IllegalArgumentException(command + ": unknown option '" + arg + "'\n" + usage);
            }
        }
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    String required(String name, String command) {
        String value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException(command + ": " + name + " is required");
        }
        return value;
    }

    /** {@code --bootstrap-servers}, else those of the cluster in {@code --cluster DATA}, else the local stack's. */
    String bootstrapServers() {
        if (has("--bootstrap-servers")) {
            return get("--bootstrap-servers", "");
        }
        return has("--cluster") ? cluster().bootstrapServers() : "127.0.0.1:9092";
    }

    /** {@code --registry}, else that of the cluster in {@code --cluster DATA}, else the local stack's. */
    String registryUrl() {
        if (has("--registry")) {
            return get("--registry", "");
        }
        return has("--cluster") ? cluster().schemaRegistryUrl() : "http://127.0.0.1:8081";
    }

    private ClusterFile.Content cluster() {
        try {
            return ClusterFile.read(Path.of(get("--cluster", "")));
        } catch (IOException e) {
            throw new IllegalArgumentException("--cluster: " + e.getMessage(), e);
        }
    }

    int integer(String name, int fallback) {
        String value = values.get(name);
        try {
            return value == null ? fallback : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, was '" + value + "'");
        }
    }
}
