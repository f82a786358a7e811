package io.streamseek.flink.inference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The models loaded in this JVM, by checkpoint path, counted by the operators using them: the
 * first to open loads, the last to close unloads. A TaskManager runs several slots of a job (and
 * restarts them after a failure) in one JVM; this keeps one copy of the weights and one engine.
 */
public final class SharedModels {

    private static final Logger LOG = LoggerFactory.getLogger(SharedModels.class);
    private static final Map<String, Entry> MODELS = new HashMap<>();
    /** What each model served during its last load, kept after it is unloaded (for a local run's report). */
    private static final Map<String, ServedTotals.Snapshot> LAST_SERVED = new HashMap<>();

    private static final class Entry {
        final ServedModel model;
        int users;

        Entry(ServedModel model) {
            this.model = model;
        }
    }

    private SharedModels() {
    }

    /**
     * The model at {@code settings.modelPath()}, loaded on first use. A second job with other
     * settings for the same path shares the first one's engine.
     */
    public static synchronized ServedModel acquire(ModelSettings settings) throws IOException {
        Entry entry = MODELS.get(settings.modelPath());
        if (entry == null) {
            long start = System.nanoTime();
            entry = new Entry(ServedModel.load(settings));
            MODELS.put(settings.modelPath(), entry);
            LOG.info("Loaded {} in {} s: one engine for every slot of this TaskManager", settings.modelPath(),
                    String.format("%.1f", (System.nanoTime() - start) / 1e9));
        }
        entry.users++;
        return entry.model;
    }

    public static synchronized void release(ServedModel model) {
        Entry entry = MODELS.get(model.settings().modelPath());
        if (entry == null || entry.model != model) {
            return;
        }
        if (--entry.users == 0) {
            MODELS.remove(model.settings().modelPath());
            model.close();
            ServedTotals.Snapshot served = model.totals().snapshot();
            LAST_SERVED.put(model.settings().modelPath(), served);
            LOG.info("Unloaded {}: its last user closed; it served {}", model.settings().modelPath(), served);
        }
    }

    /**
     * By checkpoint path, what each model of this JVM served: for a loaded model so far, for an
     * unloaded one during its last load. A local MiniCluster runs its TaskManager in this JVM.
     */
    public static synchronized Map<String, ServedTotals.Snapshot> served() {
        Map<String, ServedTotals.Snapshot> served = new HashMap<>(LAST_SERVED);
        MODELS.forEach((path, entry) -> served.put(path, entry.model.totals().snapshot()));
        return served;
    }
}
