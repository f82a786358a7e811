package io.streamseek.gpu.model;

import io.streamseek.gpu.loader.CheckpointException;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Weights live in Java arrays: a model the heap cannot hold is refused up front, with the fix. */
class ModelLoaderHeapTest {

    @Test
    void aModelLargerThanTheFreeHeapIsRefusedWithTheFiguresAndTheFix() {
        Runtime runtime = Runtime.getRuntime();
        long tooBig = runtime.maxMemory() + (1L << 30);
        assertThatThrownBy(() -> ModelLoader.checkHeap(tooBig, runtime))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("GiB but the JVM heap has")
                .hasMessageContaining("STREAMSEEK_JAVA_OPTS=\"-Xmx").hasMessageContaining("-Xmn512m\"");
        assertThatCode(() -> ModelLoader.checkHeap(1 << 20, runtime)).doesNotThrowAnyException();
    }
}
