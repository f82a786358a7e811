package io.streamseek.schemas.cli;

import io.streamseek.schemas.evolution.SchemaHistory;
import io.streamseek.schemas.topics.Topic;

import org.apache.avro.SchemaNormalization;

import java.io.PrintStream;
import java.util.HexFormat;

/**
 * The launcher's commands owned by this module. {@code ./streamseek topics} prints the contract.
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
            default:
                err.println("SchemasCli: unknown command '" + args[0] + "'");
                return 2;
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
