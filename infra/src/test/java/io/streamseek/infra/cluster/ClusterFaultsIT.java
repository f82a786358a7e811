package io.streamseek.infra.cluster;

import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.tokenizer.TokenizerFiles;
import io.streamseek.schemas.Completion;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;
import io.streamseek.schemas.registry.RegistryClientConfig;
import io.streamseek.schemas.registry.RestSchemaRegistryClient;
import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The production topology really started ({@link LocalCluster}: ZooKeeper, 3 Kafka nodes, the
 * registry, a JobManager with ZooKeeper HA, 2 TaskManagers, each its own process) and really
 * broken while prompts are in flight: TaskManagers SIGKILLed and started again, the JobManager
 * SIGKILLed (the job comes back from the HA store, not resubmitted), a broker SIGKILLed, then the
 * job stopped with a savepoint and its jar submitted again to the same session cluster, twice. Counted with a
 * read_committed consumer: every request exactly one completion, nothing lost, nothing twice, and
 * each prompt's text the same however often it was computed (greedy decoding is batch-invariant,
 * so it is the text a run without failures gives).
 *
 * <p>{@code mvn verify} runs a short version ({@value #DEFAULT_PROMPTS} prompts, one TaskManager
 * kill); {@code mvn -Pcluster-faults -pl infra verify} the full one (1,000 prompts, three kills).
 */
class ClusterFaultsIT {

    static final int DEFAULT_PROMPTS = 240;
    private static final int PROMPTS = Integer.getInteger("streamseek.cluster.prompts", DEFAULT_PROMPTS);
    private static final int TASKMANAGER_KILLS = Integer.getInteger("streamseek.cluster.taskmanager-kills", 1);
    private static final List<String> TEXTS = List.of("the quick brown fox", "exactly once", "a broker went down", "hello cluster",
            "stream processing", "latent attention", "mixture of experts", "checkpoint barrier");

    private int produced;

    @Test
    void theJobSurvivesKilledProcessesAndRedeploysAnsweringEveryPromptExactlyOnce() throws Exception {
        // Under target/, not a temporary folder: every process's log is there to read after a failure.
        Path dir = Path.of("target", "cluster-faults-it").toAbsolutePath();
        deleteRecursively(dir);
        String flink = FlinkDistribution.resolve(Path.of(System.getProperty("maven.home")), Path.of("flink-dist", "pom.xml"),
                Path.of("target", "flink-dist.classpath").toAbsolutePath(), System.getProperty("flink.version"));
        Path jobJar = Path.of(System.getProperty("streamseek.job.jar"));
        assertThat(jobJar).as("the shaded job jar (flink-jobs' package phase)").isRegularFile();
        Path model = dir.resolve("tiny");
        Files.createDirectories(model);
        RandomCheckpoint.write(ModelPreset.TINY.config(), model, 7, DType.BF16, false, null);
        TokenizerFiles.write(model, ModelPreset.TINY.config().vocabSize(), ModelPreset.TINY.config().maxPositionEmbeddings());
        LocalCluster.Options options = new LocalCluster.Options(dir.resolve("data"), model, 2, 3, 1, "1536m", jobJar, flink,
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                Map.of("streamseek.engine.cache-bytes", Long.toString(64L << 20)));
        LocalCluster cluster;
        try {
            cluster = LocalCluster.up(options, System.out);
            String job = cluster.content().jobId();
            int batch = Math.max(8, PROMPTS / (TASKMANAGER_KILLS + 4));
            try (KafkaProducer<String, byte[]> producer = producer(cluster)) {
                ConfluentAvroCodec<PromptRequest> codec = codec(cluster);
                produce(producer, codec, batch);
                awaitCompletions(cluster, produced / 2);
                for (int kill = 0; kill < TASKMANAGER_KILLS; kill++) {
                    produce(producer, codec, batch); // in flight: not committed before the next checkpoint
                    int index = 1 + kill % 2;
                    kill(cluster, Role.TASKMANAGER, index);
                    cluster.restart(Role.TASKMANAGER, index);
                    awaitCompletions(cluster, produced - batch / 2);
                }

                long checkpoints = cluster.rest().completedCheckpoints(job);
                produce(producer, codec, batch);
                awaitCheckpointAfter(cluster, job, checkpoints);
                kill(cluster, Role.JOBMANAGER, 1);
                cluster.restart(Role.JOBMANAGER, 1);
                awaitAllTasksRunning(cluster, job); // the same id: recovered from the HA store, not resubmitted
                awaitCompletions(cluster, produced);

                produce(producer, codec, batch);
                kill(cluster, Role.KAFKA, 2);
                produce(producer, codec, batch); // acknowledged by the two in-sync replicas left
                cluster.restart(Role.KAFKA, 2);
                produce(producer, codec, PROMPTS - produced);
            }
            Map<String, List<Completion>> answers = awaitCompletions(cluster, produced);
            assertExactlyOnce(answers, produced);

            // Two redeploys to the same running session cluster: the job stopped with a savepoint and its
            // jar submitted again, into a new user-code class loader on the same TaskManager JVMs.
            for (int redeploy = 0; redeploy < 2; redeploy++) {
                String previous = cluster.content().jobId();
                assertThat(cluster.redeploy(options)).isNotEqualTo(previous);
                try (KafkaProducer<String, byte[]> producer = producer(cluster)) {
                    ConfluentAvroCodec<PromptRequest> codec = codec(cluster);
                    for (int i = 0; i < 5; i++) {
                        send(producer, codec, i); // answered long ago: the idempotency state came through the savepoint
                    }
                    produce(producer, codec, 16);
                }
                assertExactlyOnce(awaitCompletions(cluster, produced), produced);
            }
            cluster.down();
            assertThat(cluster.processes()).noneMatch(ClusterProcess::alive);
        } finally {
            stopAll(options.data());
        }
    }

    private static void assertExactlyOnce(Map<String, List<Completion>> answers, int expected) {
        Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < expected; i++) {
            ids.add(id(i));
        }
        assertThat(answers.keySet()).as("request ids answered").isEqualTo(ids);
        List<String> twice = answers.entrySet().stream().filter(e -> e.getValue().size() != 1).map(Map.Entry::getKey).sorted().toList();
        assertThat(twice).as("requests answered more than once").isEmpty();
        Map<String, Set<String>> textsByPrompt = new TreeMap<>();
        for (Map.Entry<String, List<Completion>> e : answers.entrySet()) {
            String prompt = TEXTS.get(Integer.parseInt(e.getKey().substring(2)) % TEXTS.size());
            textsByPrompt.computeIfAbsent(prompt, k -> new java.util.HashSet<>()).add(e.getValue().get(0).getText());
        }
        assertThat(textsByPrompt).as("one text per prompt, however often and wherever it was computed")
                .allSatisfy((prompt, texts) -> assertThat(texts).hasSize(1));
    }

    private void produce(KafkaProducer<String, byte[]> producer, ConfluentAvroCodec<PromptRequest> codec, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            send(producer, codec, produced++);
        }
        producer.flush();
        System.out.println("produced " + produced + " prompts");
    }

    private static void send(KafkaProducer<String, byte[]> producer, ConfluentAvroCodec<PromptRequest> codec, int i) throws Exception {
        PromptRequest request = PromptRequest.newBuilder().setRequestId(id(i)).setTenantId("tenant-" + i % 3)
                .setInput(new TextPrompt(TEXTS.get(i % TEXTS.size()))).setSampling(SamplingParams.newBuilder().setMaxTokens(4).setTemperature(0f).build())
                .setCreatedAt(Instant.now()).build();
        producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), request.getRequestId(),
                codec.encode(Topic.PROMPTS.valueSubject(), request, false))).get();
    }

    private static String id(int i) {
        return "r-" + i;
    }

    private static void kill(LocalCluster cluster, Role role, int index) {
        ProcessHandle handle = cluster.find(role, index).handle().orElseThrow(() -> new AssertionError(role.id() + ":" + index + " is not running"));
        System.out.println("SIGKILL " + role.id() + ":" + index + " (pid " + handle.pid() + ")");
        handle.destroyForcibly();
        handle.onExit().join();
    }

    /**
     * Every completion committed so far, once at least {@code expected} requests are answered and
     * the consumer has read to the end of every partition (so a duplicate would be seen too).
     */
    private static Map<String, List<Completion>> awaitCompletions(LocalCluster cluster, int expected) throws Exception {
        Map<String, List<Completion>> answers = new HashMap<>();
        ConfluentAvroCodec<Completion> codec = new ConfluentAvroCodec<>(Completion.class,
                RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, cluster.registryUrl())), DecodeLimits.DEFAULT);
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topic.COMPLETIONS.topicName()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (true) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    answers.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(codec.decode(r.value()));
                }
                if (answers.size() >= expected && atEnd(consumer, partitions)) {
                    System.out.println(answers.size() + " requests answered");
                    return answers;
                }
                assertThat(System.nanoTime()).as("%d of %d requests answered within 5 minutes", answers.size(), expected).isLessThan(deadline);
            }
        }
    }

    private static boolean atEnd(KafkaConsumer<String, byte[]> consumer, List<TopicPartition> partitions) {
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        return partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p));
    }

    private static void awaitAllTasksRunning(LocalCluster cluster, String job) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!runningNow(cluster, job)) {
            assertThat(System.nanoTime()).as("job %s running again within 3 minutes of a JobManager failover", job).isLessThan(deadline);
            Thread.sleep(200); // polling the JobManager's REST API: it pushes nothing
        }
    }

    private static boolean runningNow(LocalCluster cluster, String job) {
        try {
            return cluster.rest().allTasksRunning(job);
        } catch (java.io.IOException e) {
            return false; // the new leader is not serving yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void awaitCheckpointAfter(LocalCluster cluster, String job, long checkpoints) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (cluster.rest().completedCheckpoints(job) <= checkpoints) {
            assertThat(System.nanoTime()).as("a checkpoint completes within 2 minutes").isLessThan(deadline);
            Thread.sleep(200); // polling the JobManager's REST API: it pushes nothing
        }
    }

    private static KafkaProducer<String, byte[]> producer(LocalCluster cluster) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000),
                new StringSerializer(), new ByteArraySerializer());
    }

    private static ConfluentAvroCodec<PromptRequest> codec(LocalCluster cluster) {
        return new ConfluentAvroCodec<>(PromptRequest.class, RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL,
                cluster.registryUrl())), DecodeLimits.DEFAULT);
    }

    private static void deleteRecursively(Path dir) throws java.io.IOException {
        if (Files.exists(dir)) {
            try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Whatever happened, no process of the cluster outlives the test. */
    private static void stopAll(Path data) throws Exception {
        if (!Files.exists(ClusterFile.path(data))) {
            return;
        }
        for (ClusterProcess p : LocalCluster.open(data, System.out).processes()) {
            p.handle().ifPresent(h -> {
                h.destroyForcibly();
                h.onExit().join();
            });
        }
    }
}
