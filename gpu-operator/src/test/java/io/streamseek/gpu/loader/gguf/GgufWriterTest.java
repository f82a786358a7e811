package io.streamseek.gpu.loader.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.streamseek.gpu.loader.gguf.GgufTestFiles.pattern;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** GgufWriter's contract: declare, header, tensors in order with exact sizes; anything else fails naming the tensor or key. */
class GgufWriterTest {

    @TempDir
    Path dir;

    @Test
    void tensorsMustComeInDeclaredOrderWithTheirExactSize() {
        Path file = dir.resolve("out.gguf");
        try (GgufWriter w = new GgufWriter(file)) {
            w.addTensor("a", GgmlType.Q8_0, 64);
            w.addTensor("b", GgmlType.F32, 2);
            assertThatThrownBy(() -> w.writeTensor("a", pattern(68, 0)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("writeTensor(a) before writeHeader()");
            w.writeHeader();
            assertThatThrownBy(() -> w.addTensor("c", GgmlType.F32, 1))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("addTensor(c) after writeHeader(): declare every tensor first");
            assertThatThrownBy(() -> w.putUint32("k", 1))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("metadata must be put before writeHeader()");
            assertThatThrownBy(w::writeHeader).hasMessage("writeHeader() was already called for " + file);
            assertThatThrownBy(() -> w.writeTensor("b", pattern(8, 0)))
                    .hasMessage("tensor b is out of order: the next declared tensor is a");
            assertThatThrownBy(() -> w.writeTensor("zz", pattern(8, 0)))
                    .hasMessage("tensor zz was never declared with addTensor: the next declared tensor is a");
            assertThatThrownBy(() -> w.writeTensor("a", pattern(64, 0)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("tensor a: 64 bytes given, but q8_0 [64] takes 68");
            w.writeTensor("a", pattern(68, 0));
            assertThatThrownBy(() -> w.writeTensor("a", pattern(68, 0)))
                    .hasMessage("tensor a was already written: the next declared tensor is b");
            w.writeTensor("b", pattern(8, 0));
            assertThatThrownBy(() -> w.writeTensor("b", pattern(8, 0)))
                    .hasMessage("tensor b was already written: every declared tensor is written");
        }
        try (GgufFile gguf = GgufFile.open(file)) {
            assertThat(gguf.tensors()).hasSize(2);
        }
    }

    @Test
    void addTensorValidatesNameAndDims() {
        try (GgufWriter w = new GgufWriter(dir.resolve("out.gguf"))) {
            w.addTensor("a", GgmlType.F32, 2);
            assertThatThrownBy(() -> w.addTensor("a", GgmlType.F32, 2))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("tensor a was already added; tensor names must be unique");
            assertThatThrownBy(() -> w.addTensor("blk.0.q", GgmlType.Q4_K, 100, 2))
                    .hasMessage("tensor blk.0.q is q4_K with dims [100, 2]: ne0 must be a multiple of its 256-element blocks");
            assertThatThrownBy(() -> w.addTensor("z", GgmlType.F32, 4, 0))
                    .hasMessage("tensor z has dims [4, 0]: ne1 is 0; every dimension must be at least 1");
            assertThatThrownBy(() -> w.addTensor("five", GgmlType.F32, 1, 1, 1, 1, 1))
                    .hasMessage("tensor five has 5 dimensions; GGUF (ggml) allows at most 4");
            assertThatThrownBy(() -> w.addTensor("x".repeat(64), GgmlType.F32, 1))
                    .hasMessage("tensor name " + "x".repeat(64) + " is 64 bytes; llama.cpp refuses names of 64 bytes or more");
            w.writeHeader();
            w.writeTensor("a", pattern(8, 0));
        }
    }

    @Test
    void metadataPutsAreValidated() {
        try (GgufWriter w = new GgufWriter(dir.resolve("out.gguf"))) {
            w.putUint32("deepseek2.block_count", 61);
            assertThatThrownBy(() -> w.putUint32("deepseek2.block_count", 62))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("metadata key deepseek2.block_count was already put; every key appears once in a GGUF file");
            assertThatThrownBy(() -> w.putUint8("u8", 256))
                    .hasMessage("metadata key u8: 256 is outside the UINT8 range 0 to 255");
            assertThatThrownBy(() -> w.putUint32("u32", -1))
                    .hasMessage("metadata key u32: -1 is outside the UINT32 range 0 to 4294967295");
            assertThatThrownBy(() -> w.putInt8("i8", -129))
                    .hasMessage("metadata key i8: -129 is outside the INT8 range -128 to 127");
            assertThatThrownBy(() -> w.putUint64("u64", -1))
                    .hasMessage("metadata key u64: -1 is outside the UINT64 range 0 to 9223372036854775807");
            assertThatThrownBy(() -> w.putIntegerArray("u16s", GgufValueType.UINT16, new long[] {1, 70000}))
                    .hasMessage("metadata key u16s element 1: 70000 is outside the UINT16 range 0 to 65535");
            assertThatThrownBy(() -> w.putIntegerArray("fs", GgufValueType.FLOAT32, new long[] {1}))
                    .hasMessage("metadata key fs: FLOAT32 is not an integer type");
            assertThatThrownBy(() -> w.putString("general.alignment", "64"))
                    .hasMessage("general.alignment is written by GgufWriter itself: pass the alignment to new GgufWriter(path, alignment) instead");
            assertThatThrownBy(() -> w.putString("", "v")).hasMessage("a metadata key must be a non-empty string");
            assertThatThrownBy(() -> w.putString("k", null)).hasMessage("metadata key k: the value is null");
            w.writeHeader();
        }
        assertThatThrownBy(() -> new GgufWriter(dir.resolve("x.gguf"), 48))
                .hasMessage("alignment 48 is not a power of two (GGUF's default is 32)");
    }

    @Test
    void closeDeletesAnIncompleteFileAndNamesTheMissingTensors() {
        Path file = dir.resolve("out.gguf");
        GgufWriter w = new GgufWriter(file);
        w.addTensor("a", GgmlType.F32, 2);
        w.addTensor("b", GgmlType.F32, 2);
        w.addTensor("c", GgmlType.F32, 2);
        w.writeHeader();
        w.writeTensor("a", pattern(8, 0));
        assertThatThrownBy(w::close)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(file + " was deleted, being incomplete: 2 declared tensors were never written: b, c");
        assertThat(file).doesNotExist();
        w.close();  // a second close does nothing
        assertThatThrownBy(() -> w.writeTensor("b", pattern(8, 0))).hasMessage("writeTensor(b) after close() of " + file);
    }

    @Test
    void closeBeforeTheHeaderDeletesTheFile() {
        Path file = dir.resolve("out.gguf");
        assertThatThrownBy(() -> new GgufWriter(file).close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(file + " was deleted: closed before writeHeader()");
        assertThat(file).doesNotExist();
    }
}
