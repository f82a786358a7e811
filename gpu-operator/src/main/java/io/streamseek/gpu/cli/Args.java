package io.streamseek.gpu.cli;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} and {@code --flag} options of one command, checked against what the command
 * accepts so that a typo is an error, not a silently ignored option.
 */
final class Args {

    private final String command;
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();

    private Args(String command) {
        this.command = command;
    }

    /** Parses {@code args} (after the command name). */
    static Args parse(String command, String[] args, int from, Set<String> valued, Set<String> booleans) {
        Args parsed = new Args(command);
        for (int i = from; i < args.length; i++) {
            String arg = args[i];
            if (booleans.contains(arg)) {
                parsed.flags.add(arg);
            } else if (valued.contains(arg)) {
                if (i + 1 >= args.length) {
                    throw new UsageException(command + ": " + arg + " needs a value");
                }
                parsed.values.put(arg, args[++i]);
            } else {
                throw new UsageException(command + ": unknown option '" + arg + "'");
            }
        }
        return parsed;
    }

    boolean has(String name) {
        return flags.contains(name) || values.containsKey(name);
    }

    String required(String name) {
        String value = values.get(name);
        if (value == null) {
            throw new UsageException(command + ": " + name + " is required");
        }
        return value;
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    long getLong(String name, long fallback) {
        String value = values.get(name);
        try {
            return value == null ? fallback : Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": " + name + " must be an integer, was '" + value + "'");
        }
    }

    double getDouble(String name, double fallback) {
        String value = values.get(name);
        try {
            return value == null ? fallback : Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": " + name + " must be a number, was '" + value + "'");
        }
    }

    /** A command line that cannot be run as given; the launcher prints it with the command's usage. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
