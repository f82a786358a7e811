package io.streamseek.flink.sql;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.table.api.ResultKind;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a script's statements ({@link SqlScript}) on a table environment, as {@code ./streamseek sql}
 * does: DDL and {@code SET 'key' = 'value'} (the SQL client's, applied to the session's
 * configuration) in order, each {@code INSERT} (or statement set) submitted as a job,
 * a {@code SELECT}'s rows printed. Before the first statement it sets what ML_PREDICT over a
 * streamseek model wants ({@link #DEFAULTS}); a {@code SET} in the script overrides any of them.
 */
public final class SqlSession {

    /**
     * Flink's defaults for asynchronous ML_PREDICT are made for remote calls of a few hundred
     * milliseconds (10 in flight, 3 min timeout, results in input order). Generation takes the
     * engine seconds per row, and the rows in flight are what it batches: as many as it decodes at
     * once ({@code engine.max-num-seqs}' default), a timeout above the longest generation, and
     * completions emitted as they finish (no head-of-line blocking). Checkpoints every second
     * commit exactly-once Kafka sinks and streaming file sinks, as the DataStream job's do.
     */
    public static final Map<String, String> DEFAULTS = Map.of(
            "table.exec.async-ml-predict.max-concurrent-operations", "64",
            "table.exec.async-ml-predict.timeout", "10 min",
            "table.exec.async-ml-predict.output-mode", "ALLOW_UNORDERED",
            "execution.checkpointing.interval", "1 s");

    /** {@code SET 'key' = 'value'}, the quotes optional. */
    private static final java.util.regex.Pattern SET = java.util.regex.Pattern.compile(
            "(?is)\\s*SET\\s+('(?:[^']|'')*'|[^\\s=]+)\\s*=\\s*('(?:[^']|'')*'|\\S+)\\s*");

    private SqlSession() {
    }

    private static String unquote(String s) {
        return s.startsWith("'") && s.endsWith("'") && s.length() >= 2 ? s.substring(1, s.length() - 1).replace("''", "'") : s;
    }

    /**
     * Executes {@code statements} in order and returns the jobs they submitted (INSERTs, statement
     * sets), still running; a failing statement stops the script with its number and text.
     */
    public static List<JobClient> run(TableEnvironment tables, List<String> statements, PrintStream out) {
        Configuration defaults = Configuration.fromMap(DEFAULTS);
        tables.getConfig().addConfiguration(defaults);
        List<JobClient> jobs = new ArrayList<>();
        for (int i = 0; i < statements.size(); i++) {
            String statement = statements.get(i);
            java.util.regex.Matcher set = SET.matcher(statement);
            if (set.matches()) {
                // SET is the SQL client's, not a statement of the table environment: it sets the session's configuration.
                String key = unquote(set.group(1));
                String value = unquote(set.group(2));
                tables.getConfig().getConfiguration().setString(key, value);
                out.println("statement " + (i + 1) + ": set " + key + " = " + value);
                continue;
            }
            TableResult result;
            try {
                result = tables.executeSql(statement);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("statement " + (i + 1) + " failed: " + rootMessage(e) + "\n  " + firstLine(statement), e);
            }
            boolean select = statement.strip().toUpperCase(Locale.ROOT).startsWith("SELECT")
                    || statement.strip().toUpperCase(Locale.ROOT).startsWith("WITH");
            if (select || (result.getResultKind() == ResultKind.SUCCESS_WITH_CONTENT && result.getJobClient().isEmpty())) {
                result.print();
            } else if (result.getJobClient().isPresent()) {
                JobClient job = result.getJobClient().get();
                out.println("statement " + (i + 1) + ": job " + job.getJobID() + " submitted (" + firstLine(statement) + ")");
                jobs.add(job);
            }
        }
        return jobs;
    }

    /** Waits for every job to finish and fails with the first failure's cause. */
    public static void awaitAll(List<JobClient> jobs, Duration timeout) throws Exception {
        for (JobClient job : jobs) {
            job.getJobExecutionResult().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
            if (root.getMessage() != null && !message.toString().contains(root.getMessage())) {
                message.append(": ").append(root.getMessage());
            }
        }
        return message.toString();
    }

    private static String firstLine(String statement) {
        String line = statement.strip().lines().findFirst().orElse("");
        return line.length() > 100 ? line.substring(0, 100) + " ..." : line;
    }
}
