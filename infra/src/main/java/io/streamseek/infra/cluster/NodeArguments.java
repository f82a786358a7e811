package io.streamseek.infra.cluster;

import java.util.HashMap;
import java.util.Map;

/** {@code key=value} arguments the launcher gives the cluster's own processes (Kafka nodes, the registry). */
final class NodeArguments {

    private final String program;
    private final Map<String, String> values = new HashMap<>();

    NodeArguments(String program, String[] args) {
        this.program = program;
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(program + ": arguments are key=value, got '" + arg + "'");
            }
            values.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
    }

    String get(String key) {
        String value = values.get(key);
        if (value == null) {
            throw new IllegalArgumentException(program + ": " + key + "= is required");
        }
        return value;
    }

    int integer(String key) {
        try {
            return Integer.parseInt(get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(program + ": " + key + " must be a number, was '" + values.get(key) + "'");
        }
    }
}
