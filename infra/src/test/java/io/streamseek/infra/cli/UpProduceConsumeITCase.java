package io.streamseek.infra.cli;

import io.streamseek.infra.testing.ForkedJvm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Interactive use of the local stack: {@code up} in a JVM of its own, a prompt produced and its
 * completion consumed through the registry, a clean stop on SIGTERM (what Ctrl-C sends), and a
 * second {@code up} on the same data folder that keeps the first results, does not serve the first
 * prompt again (committed offsets), and serves a new one; the audit then finds both answered.
 */
class UpProduceConsumeITCase {

    @Test
    void upServesProducedPromptsAndASecondUpResumes(@TempDir Path dir) throws Exception {
        int kafka = freePort();
        int registry = freePort();
        String bootstrap = "127.0.0.1:" + kafka;
        String url = "http://127.0.0.1:" + registry;
        Path data = dir.resolve("data");

        Process up = up(data, kafka, registry, dir.resolve("up-1.log"));
        String first = run(ProduceCommand::run, "--prompt", "first", "--tenant", "acme", "--max-tokens", "4", "--request-id", "first",
                "--bootstrap-servers", bootstrap, "--registry", url);
        assertThat(first.trim()).isEqualTo("first");
        String completions = run(ConsumeCommand::run, "--topic", "completions", "--max", "1", "--idle", "120",
                "--bootstrap-servers", bootstrap, "--registry", url);
        assertThat(completions).contains("\"request_id\": \"first\"").contains("\"finish_reason\": \"LENGTH\"");
        stop(up);

        Process again = up(data, kafka, registry, dir.resolve("up-2.log"));
        run(ProduceCommand::run, "--prompt", "second", "--tenant", "acme", "--max-tokens", "4", "--request-id", "second",
                "--bootstrap-servers", bootstrap, "--registry", url);
        String both = run(ConsumeCommand::run, "--topic", "completions", "--max", "2", "--idle", "120",
                "--bootstrap-servers", bootstrap, "--registry", url);
        assertThat(both).contains("\"request_id\": \"first\"").contains("\"request_id\": \"second\"");
        assertThat(both.lines().filter(l -> l.contains("\"request_id\": \"first\"")).count()).as("the first is not served again").isEqualTo(1);
        assertThat(Files.readString(dir.resolve("up-2.log"))).contains("resuming from the savepoint");
        ByteArrayOutputStream audit = new ByteArrayOutputStream();
        assertThat(AuditCommand.run(new String[] {"--group", UpCommand.JOB_NAME, "--settle", "PT1S", "--bootstrap-servers", bootstrap,
                "--registry", url}, new PrintStream(audit, true, StandardCharsets.UTF_8))).as("audit's exit status: nothing missing").isZero();
        assertThat(audit.toString(StandardCharsets.UTF_8)).containsPattern("answered +2 ").containsPattern("missing +0");
        stop(again);
    }

    private interface Command {
        int run(String[] args, PrintStream out) throws Exception;
    }

    private static String run(Command command, String... args) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertThat(command.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8))).isZero();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static Process up(Path data, int kafka, int registry, Path log) throws Exception {
        List<String> command = ForkedJvm.command(InfraCli.class, "up", "--data", data.toString(),
                "--kafka-port", String.valueOf(kafka), "--registry-port", String.valueOf(registry),
                "--web-port", String.valueOf(freePort()), "--metrics-port", String.valueOf(freePort()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.readString(log).contains("Ctrl-C stops the job") && System.nanoTime() < deadline) {
            assertThat(process.isAlive()).as("up is running; log:%n%s", Files.readString(log)).isTrue();
            process.waitFor(200, TimeUnit.MILLISECONDS);
        }
        assertThat(Files.readString(log)).contains("Ctrl-C stops the job");
        return process;
    }

    private static void stop(Process up) throws Exception {
        up.destroy(); // SIGTERM, as Ctrl-C runs the same shutdown hook
        assertThat(up.waitFor(2, TimeUnit.MINUTES)).as("up stopped").isTrue();
    }

    private static int freePort() throws IOException {
        return ForkedJvm.freePort();
    }
}
