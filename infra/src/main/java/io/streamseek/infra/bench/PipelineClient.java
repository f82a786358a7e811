package io.streamseek.infra.bench;

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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A caller of the pipeline: a producer of prompts and a read_committed consumer of completions in
 * one thread, so that the send time, the job's {@code produced_at} and the time of visibility are
 * read from one clock. Sends as the {@link Load} says and records each request when its first
 * completion becomes visible.
 */
final class PipelineClient {

    private static final Duration LIMIT = Duration.ofMinutes(30);
    private static final long ARRIVALS_SEED = 42;

    private PipelineClient() {
    }

    /** Sends {@code texts} and returns each request in the order its completion became visible. */
    static List<RequestLatency> run(LocalStack stack, List<String> texts, String idPrefix, Load load, int maxTokens, PrintStream progress)
            throws Exception {
        if (load instanceof Load.CapacityShare) {
            throw new IllegalArgumentException("a share of the capacity must be resolved to a rate first");
        }
        ConfluentAvroCodec<PromptRequest> prompts = new ConfluentAvroCodec<>(PromptRequest.class,
                RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, stack.registryUrl())), DecodeLimits.DEFAULT);
        ConfluentAvroCodec<Completion> completions = new ConfluentAvroCodec<>(Completion.class,
                RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, stack.registryUrl())), DecodeLimits.DEFAULT);
        Map<String, Double> sent = new HashMap<>();
        Map<String, RequestLatency> visible = new LinkedHashMap<>();
        Random arrivals = new Random(ARRIVALS_SEED);
        long deadline = System.nanoTime() + LIMIT.toNanos();
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
            double nextArrivalMs = nowMs();
            while (visible.size() < texts.size()) {
                while (next < texts.size() && due(load, sent.size() - visible.size(), nextArrivalMs)) {
                    String id = idPrefix + next;
                    PromptRequest request = PromptRequest.newBuilder().setRequestId(id).setTenantId("bench")
                            .setInput(new TextPrompt(texts.get(next)))
                            .setSampling(SamplingParams.newBuilder().setMaxTokens(maxTokens).setTemperature(0f).build())
                            .setCreatedAt(Instant.now()).build();
                    byte[] value = prompts.encode(Topic.PROMPTS.valueSubject(), request, true);
                    sent.put(id, nowMs());
                    producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), id, value));
                    next++;
                    if (load instanceof Load.Rate rate) {
                        nextArrivalMs += -Math.log(1 - arrivals.nextDouble()) * 1000 / rate.promptsPerSecond();
                    }
                }
                long pollMs = load instanceof Load.Rate && next < texts.size() ? Math.max(1, Math.min(20, (long) (nextArrivalMs - nowMs()))) : 20;
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(pollMs))) {
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
                    throw new IllegalStateException(visible.size() + " of " + texts.size() + " completions visible after " + LIMIT.toMinutes()
                            + " minutes (" + sent.size() + " sent)");
                }
            }
        }
        if (progress != null) {
            progress.println();
        }
        return new ArrayList<>(visible.values());
    }

    private static boolean due(Load load, int outstanding, double nextArrivalMs) {
        return load instanceof Load.Outstanding closed ? outstanding < closed.requests() : nowMs() >= nextArrivalMs;
    }

    /** Epoch milliseconds with sub-millisecond resolution, on the clock the job's {@code produced_at} uses. */
    static double nowMs() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1000.0 + now.getNano() / 1e6;
    }
}
