package io.streamseek.flink.sql;

import io.streamseek.flink.inference.ServedTotals;
import io.streamseek.flink.inference.SharedModels;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.tokenizer.Tokenizer;
import io.streamseek.gpu.tokenizer.TokenizerFiles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The streamseek model provider through Flink SQL on a MiniCluster, with the tiny model: README
 * example 2 (a bounded job over a JSON-lines directory), the Table API's {@code Model.predict},
 * chat prompts, and the planning errors of schemas it cannot serve.
 */
class StreamSeekModelProviderITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void tinyModel() throws IOException {
        model = dir.resolve("tiny");
        RandomCheckpoint.write(ModelPreset.TINY.config(), model, 17, DType.BF16, false, null);
        TokenizerFiles.write(model, ModelPreset.TINY.config().vocabSize(), ModelPreset.TINY.config().maxPositionEmbeddings());
    }

    @Test
    void batchOverJsonLinesWritesOneRowPerPromptWithItsTokensAndCost() throws Exception {
        Path in = Files.createDirectories(dir.resolve("prompts"));
        List<String> prompts = new ArrayList<>();
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            String prompt = i == 5 ? "far too long ".repeat(400) : "ticket " + i + ": the export job failed again";
            prompts.add(prompt);
            lines.append(JSON.writeValueAsString(Map.of("id", "t" + i, "tenant", i % 2 == 0 ? "acme" : "globex", "prompt", prompt)))
                    .append('\n');
        }
        Files.writeString(in.resolve("part-0.json"), lines);
        Path out = dir.resolve("completions");

        runExample("batch-jsonl.sql", in, out);

        Map<String, JsonNode> rows = readJsonLines(out);
        assertThat(rows).hasSize(12);
        ServedTotals.Snapshot served = SharedModels.served().get(model.toString());
        assertThat(served.requests()).as("the engine saw the 11 rows it could serve").isEqualTo(11);
        assertThat(served.generatedTokens()).as("the engine's tokens are the rows' completion tokens")
                .isEqualTo(rows.values().stream().mapToLong(r -> r.get("completion_tokens").asLong()).sum());
        assertThat(served.seconds()).isPositive();
        try (Tokenizer tokenizer = Tokenizer.load(model)) {
            for (int i = 0; i < 12; i++) {
                JsonNode row = rows.get("t" + i);
                assertThat(row.get("tenant").asText()).isEqualTo(i % 2 == 0 ? "acme" : "globex");
                assertThat(row.get("currency").asText()).isEqualTo("EUR");
                if (i == 5) {
                    assertThat(row.get("finish_reason").asText()).isEqualTo("REJECTED");
                    assertThat(row.get("error").asText()).startsWith("CONTEXT_LENGTH_EXCEEDED: the prompt is ");
                    assertThat(row.get("completion_tokens").asInt()).isZero();
                    assertThat(new BigDecimal(row.get("cost").asText())).isZero();
                    continue;
                }
                assertThat(row.get("finish_reason").asText()).isIn("LENGTH", "STOP_TOKEN");
                assertThat(row.get("error").isNull()).isTrue();
                assertThat(row.get("prompt_tokens").asInt()).isEqualTo(tokenizer.encode(prompts.get(i), true).length);
                int generated = row.get("completion_tokens").asInt();
                assertThat(generated).isBetween(1, 8);
                if (row.get("finish_reason").asText().equals("LENGTH")) {
                    assertThat(generated).isEqualTo(8);
                }
                assertThat(new BigDecimal(row.get("cost").asText())).isPositive();
            }
        }
    }

    /**
     * The same example over Parquet prompts (Flink's own format, written here by Flink itself): the
     * rows come out as JSON lines, each with the completion of its prompt and that prompt's tokens.
     */
    @Test
    void batchOverParquetPromptsWritesOneJsonLinePerPrompt() throws Exception {
        Path in = dir.resolve("parquet-prompts");
        List<String> prompts = new ArrayList<>();
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            String prompt = "parquet ticket " + i + ": the nightly export is late";
            prompts.add(prompt);
            values.append(i == 0 ? "" : ", ").append("('q").append(i).append("', 'acme', '").append(prompt).append("')");
        }
        TableEnvironment writer = TableEnvironment.create(EnvironmentSettings.inBatchMode());
        writer.executeSql("CREATE TABLE prompts (id STRING, tenant STRING, prompt STRING) "
                + "WITH ('connector' = 'filesystem', 'path' = '" + in.toUri() + "', 'format' = 'parquet')");
        writer.executeSql("INSERT INTO prompts VALUES " + values).await();
        try (Stream<Path> files = Files.list(in)) {
            assertThat(files.filter(f -> !f.getFileName().toString().startsWith(".")).count()).as("Parquet files written").isPositive();
        }
        Path out = dir.resolve("parquet-completions");

        runExample("batch-parquet.sql", in, out);

        Map<String, JsonNode> rows = readJsonLines(out);
        assertThat(rows).hasSize(6);
        try (Tokenizer tokenizer = Tokenizer.load(model)) {
            for (int i = 0; i < 6; i++) {
                JsonNode row = rows.get("q" + i);
                assertThat(row.get("finish_reason").asText()).isIn("LENGTH", "STOP_TOKEN");
                assertThat(row.get("prompt_tokens").asInt()).isEqualTo(tokenizer.encode(prompts.get(i), true).length);
                assertThat(row.get("completion_tokens").asInt()).isBetween(1, 8);
                assertThat(new BigDecimal(row.get("cost").asText())).isPositive();
            }
        }
    }

    /**
     * The Table API path: {@code Model.predict} on the same provider, chat prompts as
     * ARRAY&lt;ROW&lt;role, content&gt;&gt; rendered with the checkpoint's template, per-row overrides,
     * and a bad role rejected with its reason. Greedy, so the same chat gives the same text.
     */
    @Test
    void tableApiPredictServesChatsWithPerRowOverrides() throws Exception {
        TableEnvironment tables = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        tables.executeSql("CREATE MODEL chat INPUT (prompt ARRAY<ROW<role STRING, content STRING>>, max_tokens INT) "
                + "OUTPUT (completion STRING, finish_reason STRING, completion_tokens INT, error STRING) "
                + "WITH ('provider' = 'streamseek', 'model.path' = '" + model + "', 'temperature' = '0')");
        org.apache.flink.table.api.Table chats = tables.sqlQuery("SELECT * FROM (VALUES "
                + "(1, ARRAY[ROW('system', 'Be brief.'), ROW('user', 'Why did the export fail?')], 3), "
                + "(2, ARRAY[ROW('system', 'Be brief.'), ROW('user', 'Why did the export fail?')], 5), "
                + "(3, ARRAY[ROW('narrator', 'Once upon a time')], 5)) AS t(n, prompt, max_tokens)");
        org.apache.flink.table.api.Table predicted = tables.fromModel("chat").predict(chats,
                org.apache.flink.types.ColumnList.of("prompt", "max_tokens"));
        Map<Integer, org.apache.flink.types.Row> rows = new HashMap<>();
        try (org.apache.flink.util.CloseableIterator<org.apache.flink.types.Row> it = predicted.execute().collect()) {
            it.forEachRemaining(row -> rows.put((Integer) row.getField("n"), row));
        }
        assertThat(rows).hasSize(3);
        assertThat(rows.get(1).getField("completion_tokens")).isEqualTo(3);
        assertThat(rows.get(2).getField("completion_tokens")).isEqualTo(5);
        assertThat((String) rows.get(2).getField("completion")).as("greedy: the longer run extends the shorter")
                .startsWith((String) rows.get(1).getField("completion"));
        assertThat(rows.get(3).getField("finish_reason")).isEqualTo("REJECTED");
        assertThat((String) rows.get(3).getField("error"))
                .isEqualTo("INVALID_REQUEST: prompt[0].role 'narrator' is not one of system, user, assistant, tool");
    }

    @Test
    void schemasTheProviderCannotServeFailAtPlanningNamingTheColumn() {
        TableEnvironment sql = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        sql.executeSql("CREATE TABLE prompts (prompt STRING, n INT) WITH ('connector' = 'datagen', 'number-of-rows' = '1')");
        assertPlanningFails(sql, "unknown_output", "INPUT (prompt STRING) OUTPUT (summary STRING)", "prompt",
                "OUTPUT column 'summary' is not one the streamseek provider knows");
        assertPlanningFails(sql, "wrong_prompt_type", "INPUT (prompt INT) OUTPUT (completion STRING)", "n",
                "INPUT column 'prompt' is INT; it must be STRING or ARRAY<ROW<role STRING, content STRING>>");
        assertPlanningFails(sql, "no_prompt", "INPUT (tenant STRING) OUTPUT (completion STRING)", "prompt",
                "INPUT has no 'prompt' column");
        assertPlanningFails(sql, "wrong_cost", "INPUT (prompt STRING) OUTPUT (cost DOUBLE)", "prompt",
                "OUTPUT column 'cost' is DOUBLE; it must be DECIMAL(24, 12)");
    }

    private void assertPlanningFails(TableEnvironment sql, String name, String schema, String column, String message) {
        sql.executeSql("CREATE MODEL " + name + " " + schema + " WITH ('provider' = 'streamseek', 'model.path' = '" + model + "')");
        assertThatThrownBy(() -> sql.explainSql("SELECT * FROM ML_PREDICT(TABLE prompts, MODEL " + name + ", DESCRIPTOR(" + column + "))"))
                .hasStackTraceContaining(message);
    }

    /** Runs the README example {@code src/test/resources/sql/FILE} over {@code in} into {@code out} to its end. */
    private static void runExample(String file, Path in, Path out) throws Exception {
        String script = Files.readString(Path.of("src/test/resources/sql", file))
                .replace("${IN}", in.toUri().toString()).replace("${OUT}", out.toUri().toString()).replace("${MODEL}", model.toString());
        TableEnvironment sql = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        SqlSession.awaitAll(SqlSession.run(sql, SqlScript.statements(script), System.out), java.time.Duration.ofMinutes(5));
    }

    private static Map<String, JsonNode> readJsonLines(Path out) throws IOException {
        Map<String, JsonNode> rows = new HashMap<>();
        try (Stream<Path> files = Files.walk(out)) {
            for (Path file : files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".")).toList()) {
                for (String line : Files.readAllLines(file)) {
                    if (!line.isBlank()) {
                        JsonNode row = JSON.readTree(line);
                        assertThat(rows.put(row.get("id").asText(), row)).as("a second row for %s", row.get("id")).isNull();
                    }
                }
            }
        }
        return rows;
    }
}
