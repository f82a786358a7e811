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

import io.streamseek.infra.audit.AnswerAudit;
import io.streamseek.schemas.registry.SchemaRegistryClient;
import io.streamseek.schemas.registry.SchemaRegistryException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The production topology really started ({@link LocalCluster}: ZooKeeper, 3 Kafka nodes, the
 * registry, a JobManager with ZooKeeper HA, 2 TaskManagers, each its own process) and really
 * broken while prompts are in flight: TaskManagers SIGKILLed and started again, the JobManager
 * SIGKILLed twice (the job comes back from the HA store, not resubmitted), each broker SIGKILLed in
 * turn and then two at once, an incompatible schema refused and a compatible one served while the
 * job runs, every TaskManager down for longer than the sinks' transaction timeout (reported, audited,
 * replayed), then the job stopped with a savepoint and its jar submitted again to the same session
 * cluster, twice. Counted with a
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

    private static final Duration TRANSACTION_TIMEOUT = Duration.ofSeconds(60);
    /** Ten checkpoint intervals of the cluster's job (the default, 1 s). */
    private static final Duration SETTLE = Duration.ofSeconds(10);

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
                Map.of("streamseek.engine.cache-bytes", Long.toString(64L << 20),
                        // Short enough to outlast on purpose below, longer than any other outage of this test.
                        "streamseek.sink.transaction-timeout", TRANSACTION_TIMEOUT.toSeconds() + " s",
                        "streamseek.checkpoint.max-restart", TRANSACTION_TIMEOUT.minusSeconds(15).toSeconds() + " s"));
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

                for (int broker = 1; broker <= 3; broker++) {
                    produce(producer, codec, batch / 3);
                    kill(cluster, Role.KAFKA, broker);
                    produce(producer, codec, batch / 3); // acknowledged by the two in-sync replicas left
                    cluster.restart(Role.KAFKA, broker);
                    awaitFullIsr(cluster);
                }
                twoBrokersDown(cluster, producer, codec, batch, job);

                checkpoints = cluster.rest().completedCheckpoints(job);
                produce(producer, codec, batch);
                awaitCheckpointAfter(cluster, job, checkpoints);
                kill(cluster, Role.JOBMANAGER, 1); // the second failover
                cluster.restart(Role.JOBMANAGER, 1);
                awaitAllTasksRunning(cluster, job);

                schemaEvolution(cluster, producer, codec, job);
                outageLongerThanTheTransactionTimeout(cluster, producer, codec, job);
                produce(producer, codec, Math.max(0, PROMPTS - produced));
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

    /**
     * Two brokers SIGKILLed at once, with prompts in flight: the in-sync replicas fall below
     * {@code min.insync.replicas} (and the KRaft quorum of these combined nodes is lost), so nothing
     * can be committed: the sinks' transactions stall and the job fails and restarts until the
     * brokers are back. Then every prompt acknowledged before the outage is answered, once.
     */
    private void twoBrokersDown(LocalCluster cluster, KafkaProducer<String, byte[]> producer, ConfluentAvroCodec<PromptRequest> codec,
                                int batch, String job) throws Exception {
        long restarts = numRestarts(cluster, job);
        produce(producer, codec, batch); // acknowledged by all three replicas
        kill(cluster, Role.KAFKA, 1);
        kill(cluster, Role.KAFKA, 3);
        long outageEnds = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < outageEnds) {
            Thread.sleep(2_000); // the outage itself: nothing to wait for but the clock
            System.out.println("two brokers down: job " + cluster.rest().jobState(job) + ", restarts " + cluster.rest().jobMetric(job, "numRestarts")
                    + " (" + restarts + " before)");
        }
        cluster.restart(Role.KAFKA, 1);
        cluster.restart(Role.KAFKA, 3);
        awaitFullIsr(cluster);
        awaitCompletions(cluster, produced);
    }

    /**
     * The contract's schema changed while the job runs: an incompatible prompts-value schema is
     * refused with 409, and prompts written with a compatible new version (a field added, with a
     * default) are served by the running job, which neither fails nor restarts.
     */
    private void schemaEvolution(LocalCluster cluster, KafkaProducer<String, byte[]> producer, ConfluentAvroCodec<PromptRequest> codec,
                                 String job) throws Exception {
        long restarts = numRestarts(cluster, job);
        SchemaRegistryClient registry = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, cluster.registryUrl()));
        Schema incompatible = withField(PromptRequest.getClassSchema(), "tenant_id", null, "int");
        assertThatThrownBy(() -> registry.register(Topic.PROMPTS.valueSubject(), incompatible))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.status()).isEqualTo(409));

        Schema v2 = withField(PromptRequest.getClassSchema(), "channel", "\"batch\"", "string");
        int id = registry.register(Topic.PROMPTS.valueSubject(), v2);
        for (int i = 0; i < 10; i++) {
            byte[] v1 = codec.encode(Topic.PROMPTS.valueSubject(), request(produced), false);
            GenericRecord record = new GenericDatumReader<GenericRecord>(PromptRequest.getClassSchema(), v2)
                    .read(null, DecoderFactory.get().binaryDecoder(v1, 5, v1.length - 5, null));
            record.put("channel", "nightly-batch");
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            bytes.write(0);
            bytes.write(java.nio.ByteBuffer.allocate(4).putInt(id).array());
            var encoder = EncoderFactory.get().binaryEncoder(bytes, null);
            new GenericDatumWriter<GenericRecord>(v2).write(record, encoder);
            encoder.flush();
            producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), id(produced), bytes.toByteArray())).get();
            produced++;
        }
        System.out.println("produced 10 prompts with schema id " + id + " (prompts-value v2, a field added)");
        awaitCompletions(cluster, produced);
        assertThat(numRestarts(cluster, job)).as("restarts while the schema evolved").isEqualTo(restarts);
        assertThat(cluster.rest().jobState(job)).isEqualTo("RUNNING");
    }

    /** {@code base} with {@code field} of {@code type} (and {@code defaultJson}) added, or retyped when it exists. */
    private static Schema withField(Schema base, String field, String defaultJson, String type) throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(base.toString());
        var fields = (com.fasterxml.jackson.databind.node.ArrayNode) tree.get("fields");
        for (var f : fields) {
            if (f.get("name").asText().equals(field)) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) f).put("type", type);
                return new Schema.Parser().parse(tree.toString());
            }
        }
        var added = fields.addObject().put("name", field).put("type", type);
        if (defaultJson != null) {
            added.set("default", json.readTree(defaultJson));
        }
        return new Schema.Parser().parse(tree.toString());
    }

    /**
     * Every TaskManager SIGKILLed and kept down longer than the sinks' transaction timeout: Flink's
     * known loss window. The restored job says so (an ERROR in the TaskManager's log, the
     * {@code restoresPastTransactionTimeout} metric), and {@code ./streamseek audit} names every
     * prompt that is missing; those are replayed and answered once.
     */
    private void outageLongerThanTheTransactionTimeout(LocalCluster cluster, KafkaProducer<String, byte[]> producer,
                                                       ConfluentAvroCodec<PromptRequest> codec, String job) throws Exception {
        produce(producer, codec, 24);
        kill(cluster, Role.TASKMANAGER, 1);
        kill(cluster, Role.TASKMANAGER, 2);
        long downSince = System.nanoTime();
        produce(producer, codec, 8);
        while (System.nanoTime() - downSince < TRANSACTION_TIMEOUT.plusSeconds(5).toNanos()) {
            Thread.sleep(1_000); // the outage itself: nothing to wait for but the clock
        }
        cluster.restart(Role.TASKMANAGER, 1);
        cluster.restart(Role.TASKMANAGER, 2);
        awaitAllTasksRunning(cluster, job);

        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        long reported;
        while ((reported = cluster.rest().operatorMetricSum(job, "transaction-timeout-watch", "restoresPastTransactionTimeout")) < 1) {
            assertThat(System.nanoTime()).as("restoresPastTransactionTimeout reported within a minute").isLessThan(deadline);
            Thread.sleep(500); // the JobManager fetches TaskManager metrics every 10 s
        }
        System.out.println("restoresPastTransactionTimeout = " + reported);
        String logs = Files.readString(Path.of(cluster.find(Role.TASKMANAGER, 1).log())) + Files.readString(Path.of(cluster.find(Role.TASKMANAGER, 2).log()));
        assertThat(logs).contains("longer than the sinks' transaction timeout (streamseek.sink.transaction-timeout = PT1M)", "./streamseek audit");

        awaitCompletionsOrMissing(cluster);
    }

    /** Waits until the audit finds nothing pending; replays what it finds missing, then waits for those too. */
    private void awaitCompletionsOrMissing(LocalCluster cluster) throws Exception {
        AnswerAudit audit = new AnswerAudit(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()),
                RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, cluster.registryUrl())),
                new AnswerAudit.Topics(Topic.PROMPTS.topicName(), Topic.COMPLETIONS.topicName(), Topic.DEAD_LETTERS.topicName(), LocalCluster.JOB_NAME),
                line -> { });
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        AnswerAudit.Report report = audit.run(null, SETTLE);
        while (!report.pending().isEmpty()) {
            assertThat(System.nanoTime()).as("pending prompts answered within 3 minutes: %s", report.pending()).isLessThan(deadline);
            Thread.sleep(1_000); // the next checkpoint commits them; the audit reads what is committed
            report = audit.run(null, SETTLE);
        }
        System.out.println("audit after the outage: " + report.missing().size() + " missing " + report.missing());
        if (!report.missing().isEmpty()) {
            assertThat(audit.replay(report.missing())).isEqualTo(report.missing().size());
        }
        awaitCompletions(cluster, produced);
    }

    /** The job's {@code numRestarts}, once the JobManager has fetched it. */
    private static long numRestarts(LocalCluster cluster, String job) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        long restarts;
        while ((restarts = cluster.rest().jobMetric(job, "numRestarts")) < 0) {
            assertThat(System.nanoTime()).as("numRestarts reported within a minute").isLessThan(deadline);
            Thread.sleep(500); // polling the JobManager's REST API
        }
        return restarts;
    }

    /** Until every partition of every topic has all its replicas in sync again (a restarted broker has caught up). */
    private static void awaitFullIsr(LocalCluster cluster) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        try (Admin admin = Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
            while (true) {
                Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
                boolean full = admin.describeTopics(topics).allTopicNames().get().values().stream()
                        .flatMap(t -> t.partitions().stream()).allMatch(p -> p.isr().size() == p.replicas().size());
                if (full) {
                    return;
                }
                assertThat(System.nanoTime()).as("every replica back in sync within 2 minutes").isLessThan(deadline);
                Thread.sleep(200); // polling the cluster's metadata
            }
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
        PromptRequest request = request(i);
        producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), request.getRequestId(),
                codec.encode(Topic.PROMPTS.valueSubject(), request, false))).get();
    }

    private static PromptRequest request(int i) {
        return PromptRequest.newBuilder().setRequestId(id(i)).setTenantId("tenant-" + i % 3)
                .setInput(new TextPrompt(TEXTS.get(i % TEXTS.size()))).setSampling(SamplingParams.newBuilder().setMaxTokens(4).setTemperature(0f).build())
                .setCreatedAt(Instant.now()).build();
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

    static void deleteRecursively(Path dir) throws java.io.IOException {
        if (Files.exists(dir)) {
            try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Whatever happened, no process of the cluster outlives the test. */
    static void stopAll(Path data) throws Exception {
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
