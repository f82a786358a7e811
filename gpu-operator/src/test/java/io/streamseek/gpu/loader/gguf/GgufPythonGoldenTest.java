package io.streamseek.gpu.loader.gguf;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

import static io.streamseek.gpu.loader.gguf.GgufTestFiles.bytes;
import static io.streamseek.gpu.loader.gguf.GgufTestFiles.pattern;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An independent check of the reader: {@code golden/gguf-python.gguf} was written by gguf-py's
 * GGUFWriter (src/test/python/make_gguf_golden.py); every value, tensor info and byte here is what
 * that script put in, and the offsets are what gguf-py's GGUFReader reports.
 */
class GgufPythonGoldenTest {

    private GgufFile gguf;

    @BeforeEach
    void open() throws URISyntaxException {
        gguf = GgufFile.open(Path.of(GgufPythonGoldenTest.class.getClassLoader().getResource("golden/gguf-python.gguf").toURI()));
    }

    @AfterEach
    void close() {
        gguf.close();
    }

    @Test
    void metadataAsGgufPyWroteIt() {
        GgufMetadata m = gguf.metadata();
        assertThat(m.keys()).containsExactly("general.architecture", "general.name", "test.uint8", "test.int8", "test.uint16",
                "test.int16", "test.uint32", "test.int32", "test.float32", "test.bool", "test.uint64", "test.int64", "test.float64",
                "test.strings", "test.int32s", "test.float32s", "test.uint8s");
        assertThat(m.string("general.architecture")).isEqualTo("deepseek2");
        assertThat(m.string("general.name")).isEqualTo("golden ✓");
        assertThat(m.integer("test.uint8")).isEqualTo(200);
        assertThat(m.integer("test.int8")).isEqualTo(-100);
        assertThat(m.integer("test.uint16")).isEqualTo(60000);
        assertThat(m.integer("test.int16")).isEqualTo(-30000);
        assertThat(m.integer("test.uint32")).isEqualTo(4_000_000_000L);
        assertThat(m.integer("test.int32")).isEqualTo(-2_000_000_000L);
        assertThat(m.real("test.float32")).isEqualTo(0.5);
        assertThat(m.bool("test.bool")).isTrue();
        assertThat(m.type("test.uint64")).isEqualTo(GgufValueType.UINT64);
        assertThat(Long.toUnsignedString((Long) m.raw("test.uint64"))).isEqualTo("18446744073709551615");
        assertThatThrownBy(() -> m.integer("test.uint64")).hasMessageContaining("is UINT64 18446744073709551615");
        assertThat(m.integer("test.int64")).isEqualTo(-9_000_000_000_000_000_000L);
        assertThat(m.real("test.float64")).isEqualTo(2.718281828459045);
        assertThat(m.strings("test.strings")).isEqualTo(List.of("a", "bc", "<｜begin▁of▁sentence｜>"));
        assertThat(m.elementType("test.int32s")).isEqualTo(GgufValueType.INT32);
        assertThat(m.ints("test.int32s")).containsExactly(1, -2, 3);
        assertThat(m.floats("test.float32s")).containsExactly(0.25f, -1.5f);
        assertThat(m.elementType("test.uint8s")).isEqualTo(GgufValueType.UINT8);
        assertThat(m.ints("test.uint8s")).containsExactly(1, 2, 255);
    }

    @Test
    void tensorInfosAsGgufPyReadsThem() {
        assertThat(gguf.version()).isEqualTo(3);
        assertThat(gguf.alignment()).isEqualTo(32);
        assertThat(gguf.dataOffset()).isEqualTo(992);
        assertThat(gguf.tensors().values()).containsExactly(
                new GgufTensor("token_embd.weight", GgmlType.F32, new long[] {4, 3}, 992, 48),
                new GgufTensor("output_norm.weight", GgmlType.F16, new long[] {8}, 1056, 16),
                new GgufTensor("blk.0.ffn_gate_inp.weight", GgmlType.Q8_0, new long[] {64, 2}, 1088, 136),
                new GgufTensor("blk.0.attn_q.weight", GgmlType.Q4_K, new long[] {256, 1}, 1248, 144),
                new GgufTensor("blk.0.attn_norm.weight", GgmlType.BF16, new long[] {1, 3}, 1408, 6),
                new GgufTensor("blk.0.exp_probs_b.bias", GgmlType.I32, new long[] {3}, 1440, 12));
    }

    @Test
    void tensorBytesAsGgufPyWroteThem() {
        ByteBuffer embd = gguf.data(gguf.tensor("token_embd.weight"));
        for (int i = 0; i < 12; i++) {
            assertThat(embd.getFloat(4 * i)).isEqualTo(i);  // numpy arange(12).reshape(3, 4): row-major = ne0 fastest
        }
        ByteBuffer norm = gguf.data(gguf.tensor("output_norm.weight"));
        short[] halves = {0x0000, 0x3400, 0x3800, 0x3A00, 0x3C00, 0x3D00, 0x3E00, 0x3F00};  // f16 of 0, 0.25, ... 1.75
        for (int i = 0; i < 8; i++) {
            assertThat(norm.getShort(2 * i)).isEqualTo(halves[i]);
        }
        assertThat(bytes(gguf.data(gguf.tensor("blk.0.ffn_gate_inp.weight")))).isEqualTo(bytes(pattern(136, 1)));
        assertThat(bytes(gguf.data(gguf.tensor("blk.0.attn_q.weight")))).isEqualTo(bytes(pattern(144, 2)));
        assertThat(bytes(gguf.data(gguf.tensor("blk.0.attn_norm.weight")))).isEqualTo(bytes(pattern(6, 3)));
        ByteBuffer bias = gguf.data(gguf.tensor("blk.0.exp_probs_b.bias"));
        assertThat(new int[] {bias.getInt(0), bias.getInt(4), bias.getInt(8)}).containsExactly(7, -8, 9);
    }
}
