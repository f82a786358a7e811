package io.streamseek.infra.cli;

import io.streamseek.infra.audit.AnswerAudit;
import io.streamseek.infra.cluster.LocalCluster;
import io.streamseek.schemas.registry.RegistryClientConfig;
import io.streamseek.schemas.registry.RestSchemaRegistryClient;

import org.apache.kafka.clients.CommonClientConfigs;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./streamseek audit}: every prompt matched against a committed completion or dead letter
 * ({@link AnswerAudit}); lists the missing ones and exits {@value #MISSING_EXIT} when there are any,
 * so that a script or an alert can run it after an outage.
 */
final class AuditCommand {

    static final int MISSING_EXIT = 3;
    private static final int LISTED = 1_000;

    static final String USAGE = String.join("\n",
            "usage: ./streamseek audit [--replay] [--since PT6H|2026-12-01T10:00:00Z] [--settle PT30S] [--group GROUP]",
            "                          [--prompts-topic prompts] [--completions-topic completions] [--dead-letters-topic dead-letters]",
            "                          [--bootstrap-servers 127.0.0.1:9092] [--registry http://127.0.0.1:8081] [--cluster DATA]",
            "  Missing: consumed by a completed checkpoint (below the group's committed offset), no completion and no dead letter,",
            "  still none after --settle (the job commits offsets and answers at the same checkpoint, in no fixed order).",
            "  Pending: not consumed by a completed checkpoint yet. Exit status " + MISSING_EXIT + " when anything is missing.",
            "  --replay produces the missing prompts again, as they were, with a streamseek-replay header: the job answers each once more.",
            "  --group: the job's streamseek.kafka.group-id; by default " + LocalCluster.JOB_NAME + " with --cluster, else "
                    + AnswerAudit.Topics.defaults().group() + " (./streamseek up's job: " + UpCommand.JOB_NAME + ").");

    private AuditCommand() {
    }

    static int run(String[] args, PrintStream out) throws Exception {
        Flags f = new Flags("audit", args, Set.of("--since", "--settle", "--group", "--prompts-topic", "--completions-topic", "--dead-letters-topic",
                "--bootstrap-servers", "--registry", "--cluster"), Set.of("--replay"), USAGE);
        AnswerAudit.Topics defaults = AnswerAudit.Topics.defaults();
        AnswerAudit.Topics topics = new AnswerAudit.Topics(f.get("--prompts-topic", defaults.prompts()),
                f.get("--completions-topic", defaults.completions()), f.get("--dead-letters-topic", defaults.deadLetters()),
                f.get("--group", f.has("--cluster") ? LocalCluster.JOB_NAME : defaults.group()));
        Instant since = f.has("--since") ? since(f.get("--since", "")) : null;
        AnswerAudit audit = new AnswerAudit(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, f.bootstrapServers()),
                RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, f.registryUrl())), topics, line -> out.println("  " + line));
        AnswerAudit.Report report = audit.run(since, f.has("--settle") ? duration("--settle", f.get("--settle", ""))
                : AnswerAudit.DEFAULT_SETTLE);
        out.println(print(report, topics, since));
        if (f.has("--replay") && !report.missing().isEmpty()) {
            out.println("replayed " + audit.replay(report.missing()) + " missing prompts onto " + topics.prompts()
                    + "; run the audit again once the job has checkpointed past them");
            return 0;
        }
        return report.missing().isEmpty() ? 0 : MISSING_EXIT;
    }

    static String print(AnswerAudit.Report report, AnswerAudit.Topics topics, Instant since) {
        StringBuilder s = new StringBuilder();
        s.append(String.format("%d prompts on %s%s; group %s has consumed up to %s%n", report.prompts(), topics.prompts(),
                since == null ? "" : " since " + since, topics.group(), report.committedOffsets().isEmpty() ? "nothing" : report.committedOffsets()));
        s.append(String.format("  answered  %9d  (%d by a completion, %d by a dead letter)%n",
                report.answeredByCompletion() + report.answeredByDeadLetter(), report.answeredByCompletion(), report.answeredByDeadLetter()));
        s.append(String.format("  pending   %9d  (not consumed by a completed checkpoint yet)%n", report.pending().size()));
        s.append(String.format("  missing   %9d%s", report.missing().size(), report.missing().isEmpty() ? "" :
                "  (consumed by a completed checkpoint, never answered: --replay produces them again)"));
        List<AnswerAudit.Unanswered> listed = report.missing().subList(0, Math.min(LISTED, report.missing().size()));
        for (AnswerAudit.Unanswered u : listed) {
            s.append(String.format("%nMISSING %s", u));
        }
        if (listed.size() < report.missing().size()) {
            s.append(String.format("%n... and %d more", report.missing().size() - listed.size()));
        }
        return s.toString();
    }

    private static Duration duration(String flag, String value) {
        try {
            return Duration.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(flag + " takes a duration such as PT30S, was '" + value + "'");
        }
    }

    private static Instant since(String value) {
        try {
            return value.startsWith("P") ? Instant.now().minus(Duration.parse(value)) : Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--since takes a duration (PT6H) or an instant (2026-12-01T10:00:00Z), was '" + value + "'");
        }
    }
}
