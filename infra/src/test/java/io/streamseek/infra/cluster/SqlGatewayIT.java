package io.streamseek.infra.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.tokenizer.TokenizerFiles;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * README example 2 ({@code batch-jsonl.sql}) on the production topology, as a Flink user runs SQL
 * there: Flink's own SQL client, in gateway mode, sends the statements to Flink's SQL Gateway
 * (its own process, on a distribution's classpath), which plans them with the streamseek provider
 * from {@code ADD JAR} of the job jar and submits the job through ZooKeeper HA to the session
 * cluster, where it runs in the slot the DataStream job left free, beside it.
 */
class SqlGatewayIT {

    private static final int PROMPTS = 12;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void flinksSqlClientRunsTheBatchExampleThroughTheSqlGatewayOnTheSessionCluster() throws Exception {
        // Under target/, not a temporary folder: every process's log is there to read after a failure.
        Path dir = Path.of("target", "sql-gateway-it").toAbsolutePath();
        ClusterFaultsIT.deleteRecursively(dir);
        Path mavenHome = Path.of(System.getProperty("maven.home"));
        String flinkVersion = System.getProperty("flink.version");
        String flink = FlinkDistribution.resolve(mavenHome, Path.of("flink-dist", "pom.xml"),
                Path.of("target", "flink-dist.classpath").toAbsolutePath(), flinkVersion);
        String sql = FlinkDistribution.resolveSql(mavenHome, Path.of("flink-dist", "sql", "pom.xml"),
                Path.of("target", "flink-sql.classpath").toAbsolutePath(), flinkVersion);
        Path jobJar = Path.of(System.getProperty("streamseek.job.jar")).toAbsolutePath();
        assertThat(jobJar).as("the shaded job jar (flink-jobs' package phase)").isRegularFile();
        Path model = dir.resolve("tiny");
        Files.createDirectories(model);
        RandomCheckpoint.write(ModelPreset.TINY.config(), model, 7, DType.BF16, false, null);
        TokenizerFiles.write(model, ModelPreset.TINY.config().vocabSize(), ModelPreset.TINY.config().maxPositionEmbeddings());

        Path in = Files.createDirectories(dir.resolve("prompts"));
        Path out = dir.resolve("completions");
        StringBuilder prompts = new StringBuilder();
        for (int i = 0; i < PROMPTS; i++) {
            prompts.append(JSON.createObjectNode().put("id", "t-" + i).put("tenant", i % 2 == 0 ? "acme" : "globex")
                    .put("prompt", "summarize support ticket " + i + ": the export to parquet fails").toString()).append('\n');
        }
        Files.writeString(in.resolve("prompts.json"), prompts);
        Path script = dir.resolve("batch-jsonl-on-cluster.sql");
        Files.writeString(script, String.join("\n",
                // What flink-jobs/README.md tells a cluster's SQL users to say before the example.
                "ADD JAR '" + jobJar + "';",
                "SET 'table.exec.async-ml-predict.max-concurrent-operations' = '64';",
                "SET 'table.exec.async-ml-predict.timeout' = '10 min';",
                "SET 'table.exec.async-ml-predict.output-mode' = 'ALLOW_UNORDERED';",
                "SET 'execution.checkpointing.interval' = '1 s';",
                // The client waits for the INSERT's job to finish rather than return once it is submitted.
                "SET 'table.dml-sync' = 'true';",
                Files.readString(Path.of("..", "flink-jobs", "src", "test", "resources", "sql", "batch-jsonl.sql"))
                        .replace("${IN}", in.toString()).replace("${OUT}", out.toString()).replace("${MODEL}", model.toString()),
                ""));

        // One TaskManager with two slots: the DataStream job takes one, the SQL job the other.
        LocalCluster.Options options = new LocalCluster.Options(dir.resolve("data"), model, 1, 1, 2, "1536m", jobJar, flink,
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                Map.of("streamseek.engine.cache-bytes", Long.toString(64L << 20)), 1, sql);
        try {
            LocalCluster cluster = LocalCluster.up(options, System.out);
            assertThat(cluster.sqlGatewayUrl()).isPresent();
            assertThat(cluster.find(Role.SQL_GATEWAY, 1).alive()).isTrue();

            Path clientLog = dir.resolve("sql-client.log");
            Process client = FlinkSqlClient.process(cluster, flink, sql, List.of("-f", script.toString()))
                    .redirectErrorStream(true).redirectOutput(clientLog.toFile()).start();
            assertThat(client.waitFor(5, TimeUnit.MINUTES)).as("the SQL client finishes; its output is in " + clientLog).isTrue();
            String printed = Files.readString(clientLog);
            // Flink's SQL client exits 0 even when a statement of its file fails: what it printed says.
            assertThat(client.exitValue()).isZero();
            assertThat(printed).as(clientLog.toString()).doesNotContain("[ERROR]").contains("Complete execution of the SQL update statement");

            Map<String, JsonNode> rows = new TreeMap<>();
            for (JsonNode row : completions(out)) {
                assertThat(rows.put(row.path("id").asText(), row)).as("one completion for " + row.path("id")).isNull();
            }
            assertThat(rows).hasSize(PROMPTS);
            for (JsonNode row : rows.values()) {
                assertThat(row.path("finish_reason").asText()).as(row.toString()).isIn("LENGTH", "STOP");
                assertThat(row.path("prompt_tokens").asInt()).as(row.toString()).isPositive();
                assertThat(row.path("completion_tokens").asInt()).as(row.toString()).isBetween(1, 8);
                assertThat(new BigDecimal(row.path("cost").asText())).as(row.toString()).isPositive();
                assertThat(row.path("currency").asText()).isEqualTo("EUR");
                assertThat(row.path("error").isNull()).as(row.toString()).isTrue();
            }

            // The SQL job ran on the session cluster itself, beside the DataStream job, which still runs.
            List<FlinkRest.JobOverview> jobs = cluster.rest().jobs();
            assertThat(jobs).anySatisfy(job -> {
                assertThat(job.name()).isEqualTo("insert-into_default_catalog.default_database.completions");
                assertThat(job.state()).isEqualTo("FINISHED");
            });
            assertThat(cluster.rest().jobState(cluster.content().jobId())).isEqualTo("RUNNING");

            cluster.down();
            assertThat(cluster.processes()).noneMatch(ClusterProcess::alive);
        } finally {
            ClusterFaultsIT.stopAll(options.data());
        }
    }

    /** Every JSON line of the sink's committed files (in-progress files are hidden: their names start with a dot). */
    private static List<JsonNode> completions(Path out) throws Exception {
        List<JsonNode> rows = new ArrayList<>();
        try (Stream<Path> files = Files.walk(out)) {
            for (Path file : files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".")).toList()) {
                for (String line : Files.readAllLines(file)) {
                    if (!line.isBlank()) {
                        rows.add(JSON.readTree(line));
                    }
                }
            }
        }
        return rows;
    }
}
