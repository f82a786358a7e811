package io.streamseek.infra.cli;

import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;
import io.streamseek.schemas.registry.RegistryClientConfig;
import io.streamseek.schemas.registry.RestSchemaRegistryClient;
import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.PrintStream;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** {@code ./streamseek produce --prompt TEXT ...}: one PromptRequest onto the prompts topic, Confluent Avro through the registry. */
final class ProduceCommand {

    static final String USAGE = String.join("\n",
            "usage: ./streamseek produce --prompt TEXT [--tenant T] [--max-tokens N] [--temperature F] [--request-id ID]",
            "                            [--bootstrap-servers 127.0.0.1:9092] [--registry http://127.0.0.1:8081] [--cluster DATA]",
            "  Prints the request_id; read the answer with ./streamseek consume --topic completions.");

    private ProduceCommand() {
    }

    static int run(String[] args, PrintStream out) throws Exception {
        Flags f = new Flags("produce", args, Set.of("--prompt", "--tenant", "--max-tokens", "--temperature", "--request-id",
                "--bootstrap-servers", "--registry", "--cluster"), Set.of(), USAGE);
        String id = f.get("--request-id", UUID.randomUUID().toString());
        float temperature;
        try {
            temperature = Float.parseFloat(f.get("--temperature", "0"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--temperature must be a number, was '" + f.get("--temperature", "") + "'");
        }
        PromptRequest request = PromptRequest.newBuilder()
                .setRequestId(id)
                .setTenantId(f.get("--tenant", "default"))
                .setInput(new TextPrompt(f.required("--prompt", "produce")))
                .setSampling(SamplingParams.newBuilder().setMaxTokens(f.integer("--max-tokens", 32)).setTemperature(temperature).build())
                .setCreatedAt(Instant.now())
                .build();
        RestSchemaRegistryClient registry = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL,
                f.registryUrl()));
        byte[] value = new ConfluentAvroCodec<>(PromptRequest.class, registry, DecodeLimits.DEFAULT)
                .encode(Topic.PROMPTS.valueSubject(), request, true);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                f.bootstrapServers(), ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000), new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), id, value)).get();
        }
        out.println(id);
        return 0;
    }
}
