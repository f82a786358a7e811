package io.streamseek.schemas.cli;

import io.streamseek.schemas.testutils.LocalKafkaStack;
import io.streamseek.schemas.topics.Topic;

import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.CachedSchemaRegistryClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class SchemasCliITCase {

    private static LocalKafkaStack stack;

    @BeforeAll
    static void start() {
        stack = LocalKafkaStack.start();
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @Test
    void registerSchemasRegistersEveryTopicAtBackwardTransitive() throws Exception {
        Result first = run("register-schemas", "--registry", stack.registryUrl());
        assertThat(first.status).isZero();
        assertThat(first.out.lines()).hasSize(Topic.values().length);
        CachedSchemaRegistryClient confluent = new CachedSchemaRegistryClient(stack.registryUrl(), 10);
        for (Topic topic : Topic.values()) {
            assertThat(confluent.getConfig(topic.valueSubject()).getCompatibilityLevel()).isEqualTo("BACKWARD_TRANSITIVE");
            int id = confluent.getLatestSchemaMetadata(topic.valueSubject()).getId();
            assertThat(first.out).contains(String.format("%-20s id %-5d BACKWARD_TRANSITIVE", topic.valueSubject(), id));
        }
        assertThat(run("register-schemas", "--registry", stack.registryUrl()).out).isEqualTo(first.out);
    }

    @Test
    void badArgumentsExplainThemselves() {
        Result missing = run("register-schemas");
        assertThat(missing.status).isEqualTo(2);
        assertThat(missing.err).startsWith("register-schemas: --registry URL is required");
        Result level = run("register-schemas", "--registry", stack.registryUrl(), "--compatibility", "LOOSE");
        assertThat(level.status).isEqualTo(2);
        assertThat(level.err).startsWith("register-schemas: --compatibility LOOSE is not a level; use one of [NONE, BACKWARD,");
    }

    @Test
    void topicsPrintsTheContract() {
        Result result = run("topics");
        assertThat(result.status).isZero();
        for (Topic topic : Topic.values()) {
            assertThat(result.out).contains(topic.topicName()).contains(topic.valueSubject()).contains(topic.valueSchema().getName());
        }
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = SchemasCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private record Result(int status, String out, String err) {
    }
}
