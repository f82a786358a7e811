package io.streamseek.infra.cli;

import io.streamseek.flink.inference.SharedModels;
import io.streamseek.flink.sql.SqlScript;
import io.streamseek.flink.sql.SqlSession;
import io.streamseek.schemas.local.EmbeddedKafkaBroker;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * {@code ./streamseek sql}: a file of Flink SQL statements on a local MiniCluster with its Web UI
 * and the streamseek model provider on the classpath. The same statements run on a cluster through
 * the SQL client or the SQL Gateway with the flink-jobs jar in {@code lib/} (or {@code ADD JAR}).
 */
final class SqlCommand {

    static final String USAGE = String.join("\n",
            "usage: ./streamseek sql --file STATEMENTS.sql [--batch] [--web-port 8082] [--parallelism 1]",
            "  Runs the statements in order (CREATE TABLE, CREATE MODEL, SET, INSERT INTO ... SELECT ... FROM ML_PREDICT(...),",
            "  EXECUTE STATEMENT SET BEGIN ... END) on a local Flink MiniCluster, Web UI at http://127.0.0.1:WEB_PORT.",
            "  --batch   the inputs are bounded (files): wait for every job to finish, print the elapsed time and exit.",
            "            Flink 2.2 plans ML_PREDICT only in streaming execution, so the jobs run in streaming mode to the",
            "            end of their inputs; without --batch the command runs until Ctrl-C.",
            "  ML_PREDICT defaults (a SET in the file overrides them): " + SqlSession.DEFAULTS);

    private SqlCommand() {
    }

    static int run(String[] args, PrintStream out) throws Exception {
        Flags f = new Flags("sql", args, Set.of("--file", "--web-port", "--parallelism"), Set.of("--batch"), USAGE);
        Path file = Path.of(f.required("--file", "sql"));
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--file " + file + " is not a file");
        }
        List<String> statements = SqlScript.statements(Files.readString(file));
        if (statements.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no statement");
        }
        int web = f.integer("--web-port", 8082);
        EmbeddedKafkaBroker.checkPortFree(web, "the Flink Web UI (--web-port)");
        Configuration cluster = new Configuration();
        cluster.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        cluster.set(RestOptions.PORT, web);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(cluster);
        env.setParallelism(f.integer("--parallelism", 1));
        StreamTableEnvironment tables = StreamTableEnvironment.create(env);
        out.printf("sql: %d statements from %s; Flink Web UI http://127.0.0.1:%d%n", statements.size(), file, web);
        long start = System.nanoTime();
        List<JobClient> jobs = SqlSession.run(tables, statements, out);
        if (jobs.isEmpty()) {
            return 0;
        }
        if (f.has("--batch")) {
            SqlSession.awaitAll(jobs, Duration.ofDays(1));
            out.printf("sql: %d job%s finished in %.1f s%n", jobs.size(), jobs.size() == 1 ? "" : "s", (System.nanoTime() - start) / 1e9);
            SharedModels.served().forEach((model, served) -> out.printf("sql: %s served %s%n", model, served));
            return 0;
        }
        out.println("sql: running until Ctrl-C");
        SqlSession.awaitAll(jobs, Duration.ofDays(365));
        return 0;
    }
}
