package io.streamseek.infra.bench;

import io.streamseek.gpu.bench.ClosedLoop;
import io.streamseek.gpu.engine.EngineConfig;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.tokenizer.Tokenizer;
import io.streamseek.infra.local.LocalJob;
import io.streamseek.infra.local.LocalStack;
import io.streamseek.schemas.Completion;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;
import io.streamseek.schemas.registry.RegistryClientConfig;
import io.streamseek.schemas.registry.RestSchemaRegistryClient;
import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.flink.core.execution.JobClient;
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

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The whole pipeline measured as a caller sees it: the local stack and the job as {@code up} runs
 * them, a producer keeping {@code concurrency} prompts outstanding (sent, their completion not yet
 * visible) and a read_committed consumer in the same JVM, so that the producer's clock, the job's
 * {@code produced_at} and the consumer's clock are one clock. Then the engine alone ({@link
 * ClosedLoop}) on the same prompts, tokenized as the job tokenizes them, at the same concurrency.
 */
public final class PipelineBench {

    /** What to run. */
    public record Options(Path model, Path data, int prompts, int concurrency, int promptWords, int maxTokens, Duration checkpointInterval,
                          String delivery) {
    }

    /** The figures; {@code requests} in the order their completions became visible. */
    public record Result(List<RequestLatency> requests, double pipelineTokensPerSecond, double pipelineCompletionsPerSecond,
                         double engineTokensPerSecond) {
        public double ratio() {
            return pipelineTokensPerSecond / engineTokensPerSecond;
        }
    }

    private static final int WARM_UP = 8;

    private PipelineBench() {
    }

    public static Result run(Options o, PrintStream progress) throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < o.prompts(); i++) {
            texts.add(text(i, o.promptWords()));
        }
        List<RequestLatency> requests;
        try (LocalStack stack = LocalStack.start(o.data(), 0, 0)) {
            JobClient job = LocalJob.submit(stack, o.model(), freePort(), freePort(), "streamseek-bench-pipeline", null, Map.of(
                    "streamseek.checkpoint.interval", o.checkpointInterval().toMillis() + " ms",
                    "streamseek.delivery", o.delivery(),
                    "streamseek.engine.max-num-seqs", Integer.toString(o.concurrency()),
                    "streamseek.engine.max-waiting", Integer.toString(Math.max(256, 2 * o.concurrency())),
                    "streamseek.inference.capacity", Integer.toString(Math.max(64, o.concurrency()))));
            try {
                progress.println("warming up (the engine loads on the first prompt)...");
                closedLoop(stack, texts.subList(0, Math.min(WARM_UP, texts.size())), "warm-", o, null);
                requests = closedLoop(stack, texts, "bench-", o, progress);
            } finally {
                job.cancel().get(2, TimeUnit.MINUTES);
            }
        }
        double[] steady = steadyState(requests);

        progress.printf("the engine alone on the same %d prompts at concurrency %d...%n", texts.size(), o.concurrency());
        ClosedLoop.Result engine;
        try (Checkpoint checkpoint = Checkpoint.open(o.model()); Tokenizer tokenizer = Tokenizer.load(o.model())) {
            DeepSeekModel model = ModelLoader.load(checkpoint);
            List<int[]> tokens = texts.stream().map(t -> tokenizer.encode(t, true)).toList();
            EngineConfig config = EngineConfig.builder().maxNumSeqs(o.concurrency()).maxWaiting(Math.max(256, 2 * o.concurrency())).build();
            ClosedLoop.run(model, config, o.concurrency(), tokens.subList(0, Math.min(WARM_UP, tokens.size())), o.maxTokens(), done -> { });
            engine = ClosedLoop.run(model, config, o.concurrency(), tokens, o.maxTokens(), done -> { });
        }
        return new Result(requests, steady[0], steady[1], engine.tokensPerSecond());
    }

    /**
     * Tokens and completions per second between the 10th and the 90th percentile of visibility:
     * neither the ramp-up nor the tail, where fewer than {@code concurrency} requests are left.
     */
    static double[] steadyState(List<RequestLatency> byVisibility) {
        int from = byVisibility.size() / 10;
        int to = Math.max(from + 1, byVisibility.size() * 9 / 10);
        double seconds = (byVisibility.get(to - 1).visibleMs() - byVisibility.get(from).visibleMs()) / 1000;
        long tokens = 0;
        for (int i = from + 1; i < to; i++) {
            tokens += byVisibility.get(i).completionTokens();
        }
        return seconds <= 0 ? new double[] {0, 0} : new double[] {tokens / seconds, (to - from - 1) / seconds};
    }

    /** Sends the prompts with at most {@code concurrency} outstanding; returns each request as its completion became visible. */
    private static List<RequestLatency> closedLoop(LocalStack stack, List<String> texts, String idPrefix, Options o, PrintStream progress)
            throws Exception {
        ConfluentAvroCodec<PromptRequest> prompts = new ConfluentAvroCodec<>(PromptRequest.class,
                RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, stack.registryUrl())), DecodeLimits.DEFAULT);
        ConfluentAvroCodec<Completion> completions = new ConfluentAvroCodec<>(Completion.class,
                RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, stack.registryUrl())), DecodeLimits.DEFAULT);
        Map<String, Double> sent = new HashMap<>();
        Map<String, RequestLatency> visible = new LinkedHashMap<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new ByteArraySerializer());
             KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                     ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                     new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topic.COMPLETIONS.topicName()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolve the end now: everything after it is this run's
            int next = 0;
            while (visible.size() < texts.size()) {
                while (next < texts.size() && sent.size() - visible.size() < o.concurrency()) {
                    String id = idPrefix + next;
                    PromptRequest request = PromptRequest.newBuilder().setRequestId(id).setTenantId("bench")
                            .setInput(new TextPrompt(texts.get(next)))
                            .setSampling(SamplingParams.newBuilder().setMaxTokens(o.maxTokens()).setTemperature(0f).build())
                            .setCreatedAt(Instant.now()).build();
                    byte[] value = prompts.encode(Topic.PROMPTS.valueSubject(), request, true);
                    sent.put(id, nowMs());
                    producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), id, value));
                    next++;
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                    double at = nowMs();
                    Double sentAt = sent.get(r.key());
                    if (sentAt == null || visible.containsKey(r.key())) {
                        continue; // another run's, or a second completion (at-least-once): the first one counts
                    }
                    Completion c = completions.decode(r.value());
                    long ttft = c.getTimings().getTimeToFirstTokenMs() == null ? c.getTimings().getTotalMs() : c.getTimings().getTimeToFirstTokenMs();
                    visible.put(r.key(), new RequestLatency(r.key(), sentAt, at, c.getProducedAt().toEpochMilli(), c.getTimings().getTotalMs(),
                            c.getTimings().getQueuedMs(), ttft, c.getUsage().getCompletionTokens()));
                    if (progress != null && (visible.size() % Math.max(1, texts.size() / 30) == 0 || visible.size() == texts.size())) {
                        progress.printf("\r[%-30s] %d/%d visible", "#".repeat(30 * visible.size() / texts.size()), visible.size(), texts.size());
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(visible.size() + " of " + texts.size() + " completions visible after 30 minutes");
                }
            }
        }
        if (progress != null) {
            progress.println();
        }
        return new ArrayList<>(visible.values());
    }

    /** Epoch milliseconds with sub-millisecond resolution, on the clock the job's {@code produced_at} uses. */
    private static double nowMs() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1000.0 + now.getNano() / 1e6;
    }

    /** About {@code words} words of varied text: prompts that differ, so no two are the same request. */
    static String text(int i, int words) {
        String[] vocabulary = {"stream", "event", "latent", "expert", "kafka", "flink", "token", "cost", "batch", "window", "offset", "record"};
        StringBuilder s = new StringBuilder("request ").append(i);
        for (int w = 0; w < words; w++) {
            s.append(' ').append(vocabulary[(i * 31 + w * 7) % vocabulary.length]);
        }
        return s.toString();
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
