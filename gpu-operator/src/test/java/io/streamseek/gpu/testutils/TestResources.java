package io.streamseek.gpu.testutils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Golden files on the test classpath: read as JSON, or copied into a folder for code that opens paths. */
public final class TestResources {

    private TestResources() {
    }

    public static JsonNode json(String name) throws IOException {
        try (InputStream in = open(name)) {
            return new ObjectMapper().readTree(in);
        }
    }

    /** The resource as a file in {@code dir} (copied once; its path's slashes become underscores). */
    public static Path copy(Path dir, String name) throws IOException {
        Path target = dir.resolve(name.replace('/', '_'));
        if (!Files.exists(target)) {
            try (InputStream in = open(name)) {
                Files.copy(in, target);
            }
        }
        return target;
    }

    private static InputStream open(String name) {
        InputStream in = TestResources.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new UncheckedIOException(new IOException("no test resource " + name));
        }
        return in;
    }
}
