package io.streamseek.gpu.tokenizer;

import ai.djl.huggingface.tokenizers.jni.LibUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Loads the Hugging Face tokenizers' native library for this class loader, from a copy of its own.
 *
 * <p>A JVM binds a native library file to the first class loader that loads it. Flink runs a job
 * in a user-code class loader, and a TaskManager JVM outlives it: a job restarted after a
 * JobManager failover, or submitted again after a savepoint, gets a new one. DJL always loads the
 * same extracted file, so the new loader failed ("already loaded in another classloader") on every
 * restart attempt, and the job never ran again (seen on the local cluster after a JobManager kill).
 * Each class loader therefore extracts the library into a directory of its own ({@code
 * ENGINE_CACHE_DIR}, DJL's setting), loads it, and deletes the file (the loaded code stays mapped).
 */
final class TokenizerNatives {

    private static final String CACHE_DIR_PROPERTY = "ENGINE_CACHE_DIR";
    private static volatile boolean loaded;

    private TokenizerNatives() {
    }

    static void ensureLoaded() {
        if (loaded) {
            return;
        }
        // The property is JVM-wide and every class loader's copy of this class reads it: the lock is
        // on an object they all share.
        synchronized (System.getProperties()) {
            if (loaded) {
                return;
            }
            String previous = System.getProperty(CACHE_DIR_PROPERTY);
            Path dir;
            try {
                dir = Files.createTempDirectory("streamseek-tokenizers-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a directory for the tokenizer's native library", e);
            }
            System.setProperty(CACHE_DIR_PROPERTY, dir.toString());
            try {
                LibUtils.checkStatus(); // its class initializer extracts and loads the library
                loaded = true;
            } finally {
                if (previous == null) {
                    System.clearProperty(CACHE_DIR_PROPERTY);
                } else {
                    System.setProperty(CACHE_DIR_PROPERTY, previous);
                }
                deleteRecursively(dir);
            }
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // left in the temporary directory: harmless
        }
    }
}
