package io.streamseek.gpu.loader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Tells what a {@code --model} path holds: a GGUF file (directly or in a directory) or a Hugging Face directory. */
public final class ModelPaths {

    private static final byte[] GGUF_MAGIC = {'G', 'G', 'U', 'F'};

    private ModelPaths() {
    }

    /**
     * The GGUF file {@code path} stands for, or null for a Hugging Face directory: {@code path}
     * itself when it is a file that starts with the GGUF magic (whatever its name: Ollama stores
     * models as {@code blobs/sha256-...}), or the one {@code *.gguf} file of a directory without
     * {@code config.json}.
     *
     * @throws CheckpointException for a missing path, a file that is not GGUF, or a directory with
     *         several GGUF files and no config.json (which one is meant is not guessed)
     */
    public static Path ggufFile(Path path) {
        if (Files.isRegularFile(path)) {
            if (!startsWithMagic(path)) {
                throw new CheckpointException(path + " is not a GGUF file (it does not start with the magic 'GGUF'); "
                        + "--model takes a .gguf file or a Hugging Face checkpoint directory");
            }
            return path;
        }
        if (!Files.isDirectory(path)) {
            throw new CheckpointException(path + " does not exist; --model takes a .gguf file or a Hugging Face checkpoint directory");
        }
        if (Files.isRegularFile(path.resolve("config.json"))) {
            return null;
        }
        List<Path> ggufs;
        try (Stream<Path> files = Files.list(path)) {
            ggufs = files.filter(f -> f.getFileName().toString().endsWith(".gguf") && Files.isRegularFile(f)).sorted().toList();
        } catch (IOException e) {
            throw new CheckpointException("cannot list " + path + ": " + e.getMessage(), e);
        }
        if (ggufs.size() > 1) {
            throw new CheckpointException(path + " holds " + ggufs.size() + " GGUF files " + ggufs.stream().map(p -> p.getFileName().toString()).toList()
                    + " and no config.json; name the file to load in --model");
        }
        return ggufs.isEmpty() ? null : ggufs.get(0);
    }

    private static boolean startsWithMagic(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return java.util.Arrays.equals(in.readNBytes(4), GGUF_MAGIC);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
