package io.streamseek.flink.job;

import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.quantize.GgufConverter;
import io.streamseek.gpu.tokenizer.TokenizerFiles;
import io.streamseek.schemas.topics.Topic;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import java.nio.file.Path;
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
        RandomCheckpoint.write(ModelPreset.TINY.config(), dir, seed, dtype, false, null);
        TokenizerFiles.write(dir, ModelPreset.TINY.config().vocabSize(), ModelPreset.TINY.config().maxPositionEmbeddings());
        return dir;
    }
}
