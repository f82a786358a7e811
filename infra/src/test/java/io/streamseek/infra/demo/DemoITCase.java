package io.streamseek.infra.demo;

import io.streamseek.infra.testing.ForkedJvm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo as a smoke test: its main class in a JVM of its own, started as the launcher starts it
 * (free ports instead of the defaults, so it can run beside anything), with 20 prompts. It must
 * exit 0 and report every prompt served or rejected for a stated reason.
 */
class DemoITCase {

    @Test
    void theDemoServesOrRejectsEveryPromptAndExitsZero(@TempDir Path dir) throws Exception {
        List<String> command = ForkedJvm.command(DemoCommand.class, "demo",
                "--prompts", "20", "--data", dir.resolve("data").toString(),
                "--kafka-port", String.valueOf(ForkedJvm.freePort()), "--registry-port", String.valueOf(ForkedJvm.freePort()),
                "--web-port", String.valueOf(ForkedJvm.freePort()), "--metrics-port", String.valueOf(ForkedJvm.freePort()));
        Path log = dir.resolve("demo.log");
        Process demo = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(demo.waitFor(8, TimeUnit.MINUTES)).as("the demo finished").isTrue();
        String output = Files.readString(log);
        assertThat(demo.exitValue()).as("exit code; output:%n%s", output).isZero();
        assertThat(output).contains("every one of the 20 prompts was served or rejected for a stated reason");
        assertThat(output).contains("REJECTED EMPTY_INPUT", "REJECTED INVALID_SAMPLING_PARAMETERS", "REJECTED UNKNOWN_MODEL");
        assertThat(output).contains("BAD_MAGIC_BYTE").contains("cost / 1M gen. tokens");
        for (String tenant : SamplePrompts.TENANTS) {
            assertThat(output).containsPattern("(?m)^" + tenant + " +\\d+");
        }
    }
}
