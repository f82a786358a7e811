package io.streamseek.infra.cluster;

import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.tokenizer.TokenizerFiles;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;
import io.streamseek.schemas.registry.RegistryClientConfig;
import io.streamseek.schemas.registry.RestSchemaRegistryClient;
import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.kafka.clients.consumer.ConsumerConfig;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Figures of the production topology on this machine, printed, never asserted: prompts and tokens
 * per second with one TaskManager and with two (interleaved rounds, medians; on two cores the
 * TaskManagers share the cores, so two cannot be twice one), and the checkpoints of a job with
 * 256 requests in flight on RocksDB with incremental checkpoints (state size, bytes written,
 * duration). {@code mvn -B -ntp install -DskipTests && mvn -B -ntp -Pcluster-bench -pl infra verify
 * -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}; about 8 minutes.
 */
class ClusterBench {

    private static final int PROMPTS = Integer.getInteger("streamseek.bench.prompts", 192);
    private static final int MAX_TOKENS = 16;
    private static final int ROUNDS = Integer.getInteger("streamseek.bench.rounds", 2);

    @Test
    void throughputWithOneAndTwoTaskManagersAndCheckpointsWithRequestsInFlight() throws Exception {
        Path dir = Path.of("target", "cluster-bench").toAbsolutePath();
        ClusterFaultsIT.deleteRecursively(dir);
        Path model = dir.resolve("small");
        Files.createDirectories(model);
        RandomCheckpoint.write(ModelPreset.SMALL.config(), model, 7, DType.BF16, false, null);
        TokenizerFiles.write(model, ModelPreset.SMALL.config().vocabSize(), ModelPreset.SMALL.config().maxPositionEmbeddings());
        String flink = FlinkDistribution.resolve(Path.of(System.getProperty("maven.home")), Path.of("flink-dist", "pom.xml"),
                Path.of("target", "flink-dist.classpath").toAbsolutePath(), System.getProperty("flink.version"));

        Map<Integer, List<Double>> promptsPerSecond = Map.of(1, new ArrayList<>(), 2, new ArrayList<>());
        int run = 0;
        for (int round = 0; round < ROUNDS; round++) {
            for (int taskManagers : List.of(1, 2)) {
                LocalCluster.Options options = options(dir.resolve("run-" + run++), model, flink, taskManagers, Map.of());
                try {
                    LocalCluster cluster = LocalCluster.up(options, System.out);
                    long start = System.nanoTime();
                    produce(cluster, "warm-" + round + "-", 8, MAX_TOKENS);
                    awaitAnswered(cluster, 8);
                    double warm = (System.nanoTime() - start) / 1e9;
                    start = System.nanoTime();
                    produce(cluster, "r-", PROMPTS, MAX_TOKENS);
                    awaitAnswered(cluster, 8 + PROMPTS);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    promptsPerSecond.get(taskManagers).add(PROMPTS / seconds);
                    System.out.printf("BENCH round %d, %d TaskManager(s): %d prompts x %d tokens in %.1f s = %.2f prompts/s, %.1f tokens/s "
                            + "(first 8 in %.1f s, engine loads included)%n", round + 1, taskManagers, PROMPTS, MAX_TOKENS, seconds,
                            PROMPTS / seconds, PROMPTS * MAX_TOKENS / seconds, warm);
                    cluster.down();
                } finally {
                    ClusterFaultsIT.stopAll(options.data());
                }
            }
        }
        double one = median(promptsPerSecond.get(1));
        double two = median(promptsPerSecond.get(2));
        System.out.printf("BENCH median: 1 TaskManager %.2f prompts/s, 2 TaskManagers %.2f prompts/s, ratio %.2f (%d cores shared)%n",
                one, two, two / one, Runtime.getRuntime().availableProcessors());

        // Two TaskManagers of two slots: 64 requests in flight in each of the four inference subtasks,
        // 256 in the checkpoints; each TaskManager loads one engine for its two slots.
        LocalCluster.Options options = options(dir.resolve("in-flight"), model, flink, 2, 2,
                Map.of("streamseek.inference.capacity", "64", "streamseek.engine.max-waiting", "256"));
        try {
            LocalCluster cluster = LocalCluster.up(options, System.out);
            String job = cluster.content().jobId();
            produce(cluster, "f-", 768, 48);
            long before = cluster.rest().completedCheckpoints(job);
            long seen = -1;
            int printed = 0;
            while (printed < 5) {
                FlinkRest.CheckpointStats stats = cluster.rest().latestCheckpoint(job);
                if (stats != null && stats.id() != seen && cluster.rest().completedCheckpoints(job) > before + 1) {
                    seen = stats.id();
                    int answered = answered(cluster).size();
                    System.out.printf("BENCH checkpoint %d, %d of 768 answered (4 x 64 in flight): state %,d bytes, written %,d bytes, %d ms%n",
                            stats.id(), answered, stats.stateSize(), stats.checkpointedSize(), stats.durationMs());
                    printed++;
                    assertThat(answered).as("a backlog remains, so the requests in flight are part of the checkpoint").isLessThan(768 - 256);
                }
                Thread.sleep(500); // polling the JobManager's REST API
            }
            awaitAnswered(cluster, 768);
            for (int tm = 1; tm <= 2; tm++) {
                String log = Files.readString(Path.of(cluster.find(Role.TASKMANAGER, tm).log()));
                assertThat(log.split("Loaded " + java.util.regex.Pattern.quote(model.toString()), -1).length - 1)
                        .as("engines loaded by taskmanager:%d for its two slots", tm).isEqualTo(1);
            }
            System.out.println("BENCH every one of the 768 prompts answered; one engine per TaskManager, shared by its two slots");
            cluster.down();
        } finally {
            ClusterFaultsIT.stopAll(options.data());
        }
    }

    private static LocalCluster.Options options(Path data, Path model, String flink, int taskManagers, Map<String, String> job) {
        return options(data, model, flink, taskManagers, 1, job);
    }

    private static LocalCluster.Options options(Path data, Path model, String flink, int taskManagers, int slots, Map<String, String> job) {
        Map<String, String> jobOptions = new java.util.HashMap<>(job);
        jobOptions.put("streamseek.engine.cache-bytes", Long.toString(128L << 20));
        return new LocalCluster.Options(data, model, taskManagers, 3, slots, "1536m", Path.of(System.getProperty("streamseek.job.jar")), flink,
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), jobOptions);
    }

    private static void produce(LocalCluster cluster, String prefix, int count, int maxTokens) throws Exception {
        ConfluentAvroCodec<PromptRequest> codec = new ConfluentAvroCodec<>(PromptRequest.class,
                RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, cluster.registryUrl())), DecodeLimits.DEFAULT);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < count; i++) {
                PromptRequest request = PromptRequest.newBuilder().setRequestId(prefix + i).setTenantId("bench")
                        .setInput(new TextPrompt("stream " + i + " of events about latent attention and experts"))
                        .setSampling(SamplingParams.newBuilder().setMaxTokens(maxTokens).setTemperature(0f).setStop(List.of()).build())
                        .setCreatedAt(Instant.now()).build();
                producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), request.getRequestId(), codec.encode(Topic.PROMPTS.valueSubject(), request, false)));
            }
            producer.flush();
        }
    }

    private static void awaitAnswered(LocalCluster cluster, int expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (answered(cluster).size() < expected) {
            assertThat(System.nanoTime()).as("%d requests answered within 10 minutes", expected).isLessThan(deadline);
            Thread.sleep(250); // results become visible at checkpoints
        }
    }

    /** The request ids with a committed completion. */
    private static Set<String> answered(LocalCluster cluster) {
        Set<String> ids = new HashSet<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topic.COMPLETIONS.topicName()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (!partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> ids.add(r.key()));
            }
        }
        return ids;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
