package io.streamseek.flink.job;

import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.quantize.GgufConverter;
import io.streamseek.gpu.tokenizer.TokenizerFiles;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;
import io.streamseek.schemas.serde.ConfluentAvroDeserializer;
import io.streamseek.schemas.testutils.LocalKafkaStack;
import io.streamseek.schemas.testutils.TopicReader;
import io.streamseek.schemas.topics.Topic;

import org.apache.avro.specific.SpecificRecordBase;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What the job's integration tests set up: the contract's topics (one partition each, so readers see one order) and a tiny model. */
final class JobFixtures {

    private JobFixtures() {
    }

    static void createContractTopics(String bootstrapServers) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            List<NewTopic> topics = new ArrayList<>();
            for (Topic topic : Topic.values()) {
                topics.add(new NewTopic(topic.topicName(), 1, (short) 1));
            }
            admin.createTopics(topics).all().get();
        }
    }

    /**
     * The tiny preset as a Q8_0 GGUF file {@code dir/tiny.gguf}, carrying its tokenizer (no
     * tokenizer.json beside it), converted as {@code ./streamseek quantize} does.
     */
    static Path tinyGgufModel(Path dir, long seed) throws Exception {
        Path hf = tinyModel(dir.resolve("hf"), seed, DType.BF16);
        Path file = dir.resolve("tiny.gguf");
        GgufConverter.convert(hf, file, GgufConverter.Target.Q8_0, null);
        return file;
    }

    /** A random checkpoint of the tiny preset with its tokenizer, in {@code dir}. */
    static Path tinyModel(Path dir, long seed, DType dtype) throws Exception {
        return model(ModelPreset.TINY, dir, seed, dtype);
    }

    /** A random checkpoint of {@code preset} with its tokenizer, in {@code dir}. */
    static Path model(ModelPreset preset, Path dir, long seed, DType dtype) throws Exception {
        RandomCheckpoint.write(preset.config(), dir, seed, dtype, false, null);
        TokenizerFiles.write(dir, preset.config().vocabSize(), preset.config().maxPositionEmbeddings());
        return dir;
    }

    /** A text prompt for the job's default model. */
    static PromptRequest text(String id, String tenant, String prompt, int maxTokens, float temperature, Instant now) {
        return PromptRequest.newBuilder()
                .setRequestId(id)
                .setTenantId(tenant)
                .setModel(null)
                .setInput(TextPrompt.newBuilder().setText(prompt).build())
                .setSampling(SamplingParams.newBuilder().setMaxTokens(maxTokens).setTemperature(temperature).build())
                .setCreatedAt(now)
                .build();
    }

    /** The first {@code expected} committed records of {@code topic}, read_committed, values decoded through the registry. */
    static <V extends SpecificRecordBase> List<ConsumerRecord<String, V>> read(LocalKafkaStack stack, Topic topic, int expected, Class<V> type) {
        return TopicReader.readCommitted(stack.bootstrapServers(), topic.topicName(), expected, new StringDeserializer(),
                new ConfluentAvroDeserializer<>(type, stack.registryClient()));
    }
}
