package io.streamseek.flink.job;

import io.streamseek.gpu.loader.DType;
import io.streamseek.schemas.Completion;
import io.streamseek.schemas.FinishReason;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;
import io.streamseek.schemas.serde.ConfluentAvroDeserializer;
import io.streamseek.schemas.testutils.LocalKafkaStack;
import io.streamseek.schemas.testutils.TopicReader;
import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged job jar as a Flink 2.2 cluster runs it: Flink's CLI ({@code flink run}, local
 * target) in a JVM whose classpath holds only what a Flink distribution's lib/ holds (resolved on
 * its own from {@code src/test/flink-cluster/pom.xml}), loading the job through Flink's user-code
 * class loader. Prompts in, completions out.
 */
class JobJarIT {

    /** The options Flink's own scripts give its JVMs on Java 17. */
    private static final List<String> FLINK_JVM_OPENS = List.of("java.base/java.util", "java.base/java.lang", "java.base/java.lang.reflect",
            "java.base/java.io", "java.base/java.nio", "java.base/sun.nio.ch", "java.base/java.net", "java.base/java.text",
            "java.base/java.time", "java.base/java.util.concurrent", "java.base/java.util.concurrent.atomic",
            "java.base/java.util.concurrent.locks", "java.base/java.math");

    /** Resolves the cluster's classpath with the Maven running this build. */
    private static String flinkClusterClasspath(Path dir) throws Exception {
        Path out = dir.resolve("flink.classpath");
        Path mvn = Path.of(System.getProperty("maven.home"), "bin", "mvn");
        Process resolve = new ProcessBuilder(mvn.toString(), "-q", "-B", "-f", Path.of("src", "test", "flink-cluster", "pom.xml").toString(),
                "-Dflink.version=" + System.getProperty("flink.version"), "-Dlog4j.version=" + System.getProperty("log4j.version"),
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath", "-Dmdep.outputFile=" + out)
                .redirectErrorStream(true).redirectOutput(dir.resolve("mvn.log").toFile()).start();
        assertThat(resolve.waitFor(5, TimeUnit.MINUTES)).as("resolving the cluster classpath").isTrue();
        assertThat(resolve.exitValue()).as("mvn exit code; log:%n%s", Files.readString(dir.resolve("mvn.log"))).isZero();
        return Files.readString(out).trim();
    }

    @Test
    void theJobJarRunsUnderFlinksCliWithOnlyWhatAClusterProvides(@TempDir Path dir) throws Exception {
        Path jobJar = Files.list(Path.of("target")).filter(p -> p.getFileName().toString().endsWith("-job.jar")).findFirst().orElseThrow();
        String flinkClasspath = flinkClusterClasspath(dir);
        assertThat(flinkClasspath).doesNotContain("kafka-clients", "avro-1", "gpu-operator", "kafka-schemas", "flink-connector-kafka");
        Path model = JobFixtures.tinyModel(dir.resolve("tiny"), 3, DType.BF16);
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(conf.resolve("config.yaml"), "rest.bind-address: 127.0.0.1\n");

        try (LocalKafkaStack stack = LocalKafkaStack.start()) {
            JobFixtures.createContractTopics(stack.bootstrapServers());
            ConfluentAvroCodec<PromptRequest> codec = new ConfluentAvroCodec<>(PromptRequest.class, stack.registryClient(), DecodeLimits.DEFAULT);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    stack.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < 5; i++) {
                    PromptRequest request = PromptRequest.newBuilder().setRequestId("jar-" + i).setTenantId("acme")
                            .setInput(new TextPrompt("hello " + i)).setSampling(SamplingParams.newBuilder().setMaxTokens(4).build())
                            .setCreatedAt(Instant.now()).build();
                    producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), request.getRequestId(),
                            codec.encode(Topic.PROMPTS.valueSubject(), request, true))).get();
                }
            }

            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules", "jdk.incubator.vector"));
            for (String open : FLINK_JVM_OPENS) {
                command.add("--add-opens");
                command.add(open + "=ALL-UNNAMED");
            }
            command.addAll(List.of("-cp", flinkClasspath, "org.apache.flink.client.cli.CliFrontend", "run", "-t", "local",
                    "-c", InferenceJob.class.getName(), jobJar.toString(),
                    "--" + InferenceJobOptions.BOOTSTRAP_SERVERS.key(), stack.bootstrapServers(),
                    "--" + InferenceJobOptions.REGISTRY_URL.key(), stack.registryUrl(),
                    "--" + InferenceJobOptions.MODEL_PATH.key(), model.toString(),
                    "--" + InferenceJobOptions.BOUNDED.key(), "true",
                    "--" + InferenceJobOptions.CHECKPOINT_INTERVAL.key(), "1 s"));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("flink-run.log").toFile());
            builder.environment().put("FLINK_CONF_DIR", conf.toString());
            Process flink = builder.start();
            assertThat(flink.waitFor(5, TimeUnit.MINUTES)).as("flink run finished").isTrue();
            assertThat(flink.exitValue()).as("flink run exit code; log:%n%s", Files.readString(dir.resolve("flink-run.log"))).isZero();

            List<ConsumerRecord<String, Completion>> completions = TopicReader.readCommitted(stack.bootstrapServers(),
                    Topic.COMPLETIONS.topicName(), 5, new StringDeserializer(), new ConfluentAvroDeserializer<>(Completion.class, stack.registryClient()));
            assertThat(completions).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("jar-0", "jar-1", "jar-2", "jar-3", "jar-4");
            assertThat(completions).allSatisfy(r -> assertThat(r.value().getFinishReason()).isIn(FinishReason.LENGTH, FinishReason.STOP_TOKEN));
        }
    }
}
