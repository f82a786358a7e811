package io.streamseek.infra.demo;

import io.streamseek.flink.job.InferenceJob;
import io.streamseek.infra.local.LocalJob;
import io.streamseek.infra.local.LocalStack;
import io.streamseek.schemas.Completion;
import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.FinishReason;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.TokenCost;
import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;
import io.streamseek.schemas.registry.RestSchemaRegistryClient;
import io.streamseek.schemas.registry.RegistryClientConfig;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./streamseek demo}: the main job on an embedded default stack, from nothing to a summary,
 * in one command. See {@link DemoOptions#USAGE}.
 */
public final class DemoCommand {

    /** How long the demo waits for every prompt's outcome before giving up with the ones missing. */
    private static final Duration OUTCOME_TIMEOUT = Duration.ofMinutes(10);

    private DemoCommand() {
    }

    public static void main(String[] args) {
        String[] options = args.length > 0 && args[0].equals("demo") ? java.util.Arrays.copyOfRange(args, 1, args.length) : args;
        if (List.of(options).contains("--help")) {
            System.out.println(DemoOptions.USAGE);
            return;
        }
        int code;
        try {
            code = run(DemoOptions.parse(options), System.out);
        } catch (IllegalArgumentException | IllegalStateException | io.streamseek.gpu.loader.CheckpointException e) {
            System.err.println("demo: " + e.getMessage());
            code = 2;
        } catch (Exception e) {
            System.err.println("demo failed: " + e);
            code = 1;
        }
        System.exit(code);
    }

    /** Runs the demo; 0 when every prompt was served or rejected for a stated reason. */
    static int run(DemoOptions o, PrintStream out) throws Exception {
        Path data = Files.createDirectories(o.data());
        Path model = o.model() != null ? o.model() : DemoModels.small(data, out);
        out.printf("starting Kafka on 127.0.0.1:%d and the schema registry on http://127.0.0.1:%d (state in %s)%n", o.kafkaPort(),
                o.registryPort(), data.toAbsolutePath());
        try (LocalStack stack = LocalStack.start(data, o.kafkaPort(), o.registryPort())) {
            String runId = "demo-" + Instant.now().getEpochSecond();
            JobClient job = LocalJob.submit(stack, model, o.webPort(), o.metricsPort(), "streamseek-demo", null);
            out.printf("Flink Web UI on http://127.0.0.1:%d, Prometheus metrics on http://127.0.0.1:%d/metrics, job %s%n", o.webPort(),
                    o.metricsPort(), job.getJobID());
            try {
                return produceAndWatch(o, stack, job, runId, InferenceJob.defaultModelName(model), out);
            } finally {
                if (o.keepRunning()) {
                    out.println("--keep-running: the stack and the job stay up; Ctrl-C stops them.");
                    CountDownLatch stop = new CountDownLatch(1);
                    Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
                    stop.await();
                }
                out.println("stopping the job and the stack...");
                job.cancel().get();
            }
        }
    }

    private static int produceAndWatch(DemoOptions o, LocalStack stack, JobClient job, String runId, String modelName, PrintStream out)
            throws Exception {
        RestSchemaRegistryClient registry = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, stack.registryUrl()));
        List<PromptRequest> prompts = SamplePrompts.generate(o.prompts(), runId, Instant.now());
        String garbageKey = runId + "-garbage";
        ConfluentAvroCodec<PromptRequest> promptCodec = new ConfluentAvroCodec<>(PromptRequest.class, registry, DecodeLimits.DEFAULT);
        Instant started = Instant.now();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            for (PromptRequest p : prompts) {
                producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), p.getRequestId(),
                        promptCodec.encode(Topic.PROMPTS.valueSubject(), p, true)));
            }
            // One record that is not Avro at all: the poison pill the dead-letter path exists for.
            producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), garbageKey, "{\"not\": \"avro\"}".getBytes(StandardCharsets.UTF_8)));
            producer.flush();
        }
        out.printf("produced %d prompts from %s (and one record that is not Avro); waiting for their outcomes...%n%n", prompts.size(),
                String.join(", ", SamplePrompts.TENANTS));

        ConfluentAvroCodec<Completion> completionCodec = new ConfluentAvroCodec<>(Completion.class, registry, DecodeLimits.DEFAULT);
        ConfluentAvroCodec<TokenCost> costCodec = new ConfluentAvroCodec<>(TokenCost.class, registry, DecodeLimits.DEFAULT);
        ConfluentAvroCodec<DeadLetter> deadCodec = new ConfluentAvroCodec<>(DeadLetter.class, registry, DecodeLimits.DEFAULT);
        Set<String> waiting = new HashSet<>();
        prompts.forEach(p -> waiting.add(p.getRequestId()));
        Set<String> waitingCosts = new HashSet<>();
        Map<String, DeadLetter> deadLetters = new LinkedHashMap<>();
        TenantSummary summary = new TenantSummary();
        Set<String> costs = new HashSet<>();
        long deadline = System.nanoTime() + OUTCOME_TIMEOUT.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, runId,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topic.COMPLETIONS.topicName(), Topic.TOKEN_COSTS.topicName(), Topic.DEAD_LETTERS.topicName()));
            while ((!waiting.isEmpty() || !waitingCosts.isEmpty() || !deadLetters.containsKey(garbageKey)) && System.nanoTime() < deadline) {
                // A job that stopped (a model that failed to load, say) ends the wait at once, with its reason.
                JobStatus status = job.getJobStatus().get();
                if (status.isGloballyTerminalState()) {
                    String reason;
                    try {
                        job.getJobExecutionResult().get();
                        reason = "it ended";
                    } catch (java.util.concurrent.ExecutionException e) {
                        reason = String.valueOf(e.getCause());
                    }
                    out.printf("%nthe inference job stopped (%s) before every prompt had an outcome: %s%n", status, reason);
                    return 1;
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(250))) {
                    if (record.key() == null || !record.key().startsWith(runId)) {
                        continue; // an earlier run's results, kept in the data folder
                    }
                    if (record.topic().equals(Topic.COMPLETIONS.topicName())) {
                        Completion c = completionCodec.decode(record.value());
                        if (waiting.remove(c.getRequestId())) {
                            summary.completion(c);
                            // The two topics are read independently: a cost may come before its completion.
                            if (c.getFinishReason() != FinishReason.REJECTED && !costs.contains(c.getRequestId())) {
                                waitingCosts.add(c.getRequestId());
                            }
                            out.println(line(c));
                        }
                    } else if (record.topic().equals(Topic.TOKEN_COSTS.topicName())) {
                        TokenCost cost = costCodec.decode(record.value());
                        if (costs.add(cost.getRequestId())) {
                            waitingCosts.remove(cost.getRequestId());
                            summary.cost(cost);
                            int tokens = Math.max(1, cost.getTokens().size());
                            out.printf("    cost %s: %s %s, %s %s per token%n", cost.getRequestId(),
                                    cost.getCost().getAmount().stripTrailingZeros().toPlainString(), cost.getCost().getCurrency(),
                                    cost.getCost().getAmount().divide(java.math.BigDecimal.valueOf(tokens), java.math.MathContext.DECIMAL64)
                                            .round(new java.math.MathContext(3)).toPlainString(), cost.getCost().getCurrency());
                        }
                    } else {
                        DeadLetter letter = deadCodec.decode(record.value());
                        deadLetters.put(record.key(), letter);
                    }
                }
            }
        }
        double seconds = Duration.between(started, Instant.now()).toMillis() / 1000.0;
        summary.print(out, seconds);
        out.printf("%ndead letters (%d):%n", deadLetters.size());
        for (DeadLetter letter : deadLetters.values()) {
            out.printf("  %-24s %-28s %-15s %s%n", letter.getRequestId(), letter.getErrorCode(), letter.getStage(), letter.getErrorMessage());
        }
        List<String> missing = new ArrayList<>(waiting);
        missing.addAll(waitingCosts);
        if (!missing.isEmpty() || !deadLetters.containsKey(garbageKey)) {
            out.printf("%nnot every prompt had its outcome within %s: missing %s%n", OUTCOME_TIMEOUT, missing);
            return 1;
        }
        out.printf("%nevery one of the %d prompts was served or rejected for a stated reason, in %.1f s (model %s)%n", prompts.size(), seconds,
                modelName);
        return 0;
    }

    private static String line(Completion c) {
        if (c.getFinishReason() == FinishReason.REJECTED) {
            return String.format("[%s] %s REJECTED %s: %s", c.getTenantId(), c.getRequestId(), c.getError().getCode(), c.getError().getMessage());
        }
        String text = c.getText().replaceAll("\\s+", " ");
        if (text.length() > 60) {
            text = text.substring(0, 57) + "...";
        }
        return String.format("[%s] %s %s, %d tokens, TTFT %sms: \"%s\"", c.getTenantId(), c.getRequestId(), c.getFinishReason(),
                c.getUsage().getCompletionTokens(), c.getTimings().getTimeToFirstTokenMs(), text);
    }
}
