package io.streamseek.gpu.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tokenizer loads in several class loaders of one JVM, as in a Flink TaskManager that runs a
 * job again after a failover or a resubmission (each time in a new user-code class loader): before
 * {@link TokenizerNatives}, the second one failed with "Native Library already loaded in another
 * classloader".
 */
class TokenizerNativesTest {

    @Test
    void theTokenizerLoadsInEveryNewClassLoaderOfTheJvm(@TempDir Path dir) throws Exception {
        TokenizerFiles.write(dir, 512, 512);
        int[] expected;
        try (Tokenizer here = Tokenizer.loadDirectory(dir)) {
            expected = here.encode("hello world", true);
        }
        for (int i = 0; i < 3; i++) {
            try (URLClassLoader jobLoader = new URLClassLoader("job-" + i, classpath(), ClassLoader.getPlatformClassLoader())) {
                Class<?> tokenizer = Class.forName(Tokenizer.class.getName(), true, jobLoader);
                assertThat(tokenizer.getClassLoader()).isSameAs(jobLoader);
                AutoCloseable loaded = (AutoCloseable) tokenizer.getMethod("loadDirectory", Path.class).invoke(null, dir);
                int[] ids = (int[]) tokenizer.getMethod("encode", String.class, boolean.class).invoke(loaded, "hello world", true);
                loaded.close();
                assertThat(ids).as("ids from class loader %d", i).isEqualTo(expected);
            }
        }
    }

    /** This test's classpath, for class loaders that do not delegate to the application's. */
    private static URL[] classpath() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")).split(File.pathSeparator)) {
            urls.add(Path.of(entry).toUri().toURL());
        }
        return urls.toArray(URL[]::new);
    }
}
