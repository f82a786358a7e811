package io.streamseek.schemas.cli;

import io.streamseek.schemas.evolution.SchemaHistory;
import io.streamseek.schemas.registry.CompatibilityLevel;
import io.streamseek.schemas.registry.ContractSchemas;
import io.streamseek.schemas.registry.RegistryClientConfig;
import io.streamseek.schemas.registry.RestSchemaRegistryClient;
import io.streamseek.schemas.registry.SchemaRegistryException;
import io.streamseek.schemas.topics.Topic;

import org.apache.avro.SchemaNormalization;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;

/**
 * The launcher's commands owned by this module: {@code ./streamseek topics} prints the contract,
 * {@code ./streamseek register-schemas} registers it in a schema registry.
 */
public final class SchemasCli {

    private SchemasCli() {
    }

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs one command; returns the process exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println("usage: SchemasCli <command> [args]");
            return 2;
        }
        switch (args[0]) {
            case "topics":
                if (args.length > 1) {
                    out.println("usage: ./streamseek topics\n  Lists the contract's topics: partitions, value subject, schema and its released versions.");
                    return args[1].equals("--help") ? 0 : 2;
                }
                printTopics(out);
                return 0;
            case "register-schemas":
                return registerSchemas(args, out, err);
            default:
                err.println("SchemasCli: unknown command '" + args[0] + "'");
                return 2;
        }
    }

    private static final String REGISTER_USAGE = String.join("\n",
            "usage: ./streamseek register-schemas --registry URL [--compatibility LEVEL] [--client-config FILE]",
            "  Registers the current schema of every contract topic under <topic>-value and sets the subject's",
            "  compatibility level (default BACKWARD_TRANSITIVE). For registries where clients may not register.",
            "  --client-config: a .properties file of registry client settings (basic.auth.*, schema.registry.ssl.*).");

    private static int registerSchemas(String[] args, PrintStream out, PrintStream err) {
        Map<String, String> configs = new HashMap<>();
        CompatibilityLevel level = ContractSchemas.DEFAULT_COMPATIBILITY;
        for (int i = 1; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--help")) {
                out.println(REGISTER_USAGE);
                return 0;
            }
            if (i + 1 >= args.length) {
                err.println("register-schemas: " + flag + " needs a value\n" + REGISTER_USAGE);
                return 2;
            }
            String value = args[++i];
            switch (flag) {
                case "--registry" -> configs.put(RegistryClientConfig.URL, value);
                case "--compatibility" -> {
                    try {
                        level = CompatibilityLevel.valueOf(value);
                    } catch (IllegalArgumentException e) {
                        err.println("register-schemas: --compatibility " + value + " is not a level; use one of "
                                + java.util.Arrays.toString(CompatibilityLevel.values()));
                        return 2;
                    }
                }
                case "--client-config" -> {
                    try (InputStream in = Files.newInputStream(Path.of(value))) {
                        Properties properties = new Properties();
                        properties.load(in);
                        properties.stringPropertyNames().forEach(key -> configs.putIfAbsent(key, properties.getProperty(key)));
                    } catch (IOException e) {
                        err.println("register-schemas: cannot read --client-config " + value + ": " + e.getMessage());
                        return 2;
                    }
                }
                default -> {
                    err.println("register-schemas: unknown option " + flag + "\n" + REGISTER_USAGE);
                    return 2;
                }
            }
        }
        if (!configs.containsKey(RegistryClientConfig.URL)) {
            err.println("register-schemas: --registry URL is required\n" + REGISTER_USAGE);
            return 2;
        }
        try (RestSchemaRegistryClient client = RestSchemaRegistryClient.create(configs)) {
            for (Map.Entry<Topic, Integer> registered : ContractSchemas.register(client, level).entrySet()) {
                out.printf("%-20s id %-5d %s%n", registered.getKey().valueSubject(), registered.getValue(), level);
            }
            return 0;
        } catch (SchemaRegistryException e) {
            err.println("register-schemas: " + e.getMessage());
            return 1;
        }
    }

    private static void printTopics(PrintStream out) {
        String format = "%-14s %10s  %-20s %-15s %9s  %s%n";
        out.printf(format, "TOPIC", "PARTITIONS", "VALUE SUBJECT", "VALUE SCHEMA", "RELEASES", "FINGERPRINT (SHA-256, canonical form)");
        for (Topic topic : Topic.values()) {
            byte[] fingerprint = fingerprint(topic);
            out.printf(format, topic.topicName(), topic.defaultPartitions(), topic.valueSubject(),
                    topic.valueSchema().getName(), SchemaHistory.versions(topic.valueSchema().getName()).size(),
                    HexFormat.of().formatHex(fingerprint, 0, 8));
        }
    }

    private static byte[] fingerprint(Topic topic) {
        try {
            return SchemaNormalization.parsingFingerprint("SHA-256", topic.valueSchema());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
