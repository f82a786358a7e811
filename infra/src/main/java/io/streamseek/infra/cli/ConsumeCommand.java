package io.streamseek.infra.cli;

import io.streamseek.schemas.Completion;
import io.streamseek.schemas.CostRollup;
import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.TokenCost;
import io.streamseek.schemas.registry.RegistryClientConfig;
import io.streamseek.schemas.registry.RestSchemaRegistryClient;
import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code ./streamseek consume --topic T}: a topic's committed records (read_committed), decoded
 * through the registry and printed as JSON lines, from the beginning, until {@code --max} records
 * or {@code --idle} seconds without one.
 */
final class ConsumeCommand {

    static final String USAGE = String.join("\n",
            "usage: ./streamseek consume --topic prompts|completions|token-costs|cost-rollups|dead-letters [--max N] [--idle SECONDS]",
            "                            [--bootstrap-servers 127.0.0.1:9092] [--registry http://127.0.0.1:8081] [--cluster DATA]");

    private static final Map<Topic, Class<? extends SpecificRecordBase>> TYPES = Map.of(
            Topic.PROMPTS, PromptRequest.class, Topic.COMPLETIONS, Completion.class, Topic.TOKEN_COSTS, TokenCost.class,
            Topic.COST_ROLLUPS, CostRollup.class, Topic.DEAD_LETTERS, DeadLetter.class);

    private ConsumeCommand() {
    }

    static int run(String[] args, PrintStream out) {
        Flags f = new Flags("consume", args, Set.of("--topic", "--max", "--idle", "--bootstrap-servers", "--registry", "--cluster"), Set.of(), USAGE);
        String name = f.required("--topic", "consume");
        Topic topic = Topic.byName(name);
        if (topic == null) {
            throw new IllegalArgumentException("consume: unknown topic '" + name + "'\n" + USAGE);
        }
        RestSchemaRegistryClient registry = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL,
                f.registryUrl()));
        ConfluentAvroCodec<? extends SpecificRecordBase> codec = new ConfluentAvroCodec<>(TYPES.get(topic), registry, DecodeLimits.DEFAULT);
        int max = f.integer("--max", Integer.MAX_VALUE);
        long idleNanos = Duration.ofSeconds(f.integer("--idle", 5)).toNanos();
        int printed = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, f.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "streamseek-consume-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic.topicName()));
            long lastRecord = System.nanoTime();
            while (printed < max && System.nanoTime() - lastRecord < idleNanos) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(250))) {
                    if (printed >= max) {
                        break;
                    }
                    out.println(codec.decode(record.value()));
                    printed++;
                    lastRecord = System.nanoTime();
                }
            }
        }
        return 0;
    }
}
