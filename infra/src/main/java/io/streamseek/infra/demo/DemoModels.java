package io.streamseek.infra.demo;

import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.tokenizer.TokenizerFiles;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The model the local commands serve when none is given: the {@code small} preset, generated once into the data folder. */
public final class DemoModels {

    private DemoModels() {
    }

    /** {@code data/models/small}, written (to a side folder, then moved into place) on first use. */
    public static Path small(Path data, PrintStream out) throws IOException {
        Path dir = data.resolve("models").resolve("small");
        if (Files.isRegularFile(dir.resolve("model.safetensors")) && Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            return dir;
        }
        if (Files.exists(dir)) {
            throw new IllegalStateException(dir + " exists but holds no complete checkpoint; delete it and run again");
        }
        out.println("generating the demo model (the small preset, random weights) in " + dir + " ...");
        Path partial = data.resolve("models").resolve("small.partial");
        Files.createDirectories(partial);
        RandomCheckpoint.write(ModelPreset.SMALL.config(), partial, 42, DType.BF16, false, null);
        TokenizerFiles.write(partial, ModelPreset.SMALL.config().vocabSize(), ModelPreset.SMALL.config().maxPositionEmbeddings());
        Files.move(partial, dir);
        return dir;
    }
}
