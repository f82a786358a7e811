package io.streamseek.flink.inference;

import io.streamseek.gpu.accounting.Pricing;
import io.streamseek.gpu.engine.Engine;
import io.streamseek.gpu.engine.EngineConfig;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.tokenizer.ChatTemplate;
import io.streamseek.gpu.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Semaphore;

/**
 * One loaded model and the engine serving it, shared by every slot of a TaskManager: weights are
 * loaded once per JVM, and the engine's continuous batching sees the requests of all slots.
 * {@link #admission} bounds the requests in the engine at its intake, so a slot waits for room
 * (backpressure reaching Kafka) instead of finding the engine busy.
 */
public final class ServedModel implements AutoCloseable {

    private final ModelSettings settings;
    private final DeepSeekModel model;
    private final Engine engine;
    private final Tokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final Semaphore admission;
    private final ServedTotals totals = new ServedTotals();

    private ServedModel(ModelSettings settings, DeepSeekModel model, Engine engine, Tokenizer tokenizer, ChatTemplate chatTemplate) {
        this.settings = settings;
        this.model = model;
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.admission = new Semaphore(settings.intake());
    }

    static ServedModel load(ModelSettings settings) throws IOException {
        Path dir = Path.of(settings.modelPath());
        DeepSeekModel model;
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            model = ModelLoader.load(checkpoint);
        }
        Tokenizer tokenizer = Tokenizer.load(dir);
        ChatTemplate template = tokenizer.chatTemplate() == null ? null : new ChatTemplate(tokenizer.chatTemplate());
        EngineConfig.Builder config = EngineConfig.builder()
                .maxNumSeqs(settings.maxNumSeqs())
                .maxWaiting(settings.maxWaiting())
                .cacheBytes(settings.cacheBytes())
                .backend(settings.backend())
                .pricing(new Pricing(settings.pricePerDeviceHour(), settings.currency(), settings.backend().optionName()));
        if (settings.threads() > 0) {
            config.threads(settings.threads());
        }
        return new ServedModel(settings, model, new Engine(model, config.build()), tokenizer, template);
    }

    public ModelSettings settings() {
        return settings;
    }

    public Engine engine() {
        return engine;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The checkpoint's chat template, or null when it has none (chat prompts are then rejected). */
    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    /** Positions the model can attend over: prompt and generated tokens together. */
    public int contextLength() {
        return model.spec().maxPositions();
    }

    public Semaphore admission() {
        return admission;
    }

    /** What this model has served since it was loaded. */
    public ServedTotals totals() {
        return totals;
    }

    @Override
    public void close() {
        engine.close(Duration.ofSeconds(5));
        tokenizer.close();
    }
}
