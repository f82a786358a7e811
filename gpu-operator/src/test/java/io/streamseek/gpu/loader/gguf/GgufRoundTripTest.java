package io.streamseek.gpu.loader.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

import static io.streamseek.gpu.loader.gguf.GgufTestFiles.bytes;
import static io.streamseek.gpu.loader.gguf.GgufTestFiles.pattern;
import static org.assertj.core.api.Assertions.assertThat;

/** What GgufWriter writes, GgufFile reads back: every metadata value type, tensors of several types, the layout. */
class GgufRoundTripTest {

    @TempDir
    Path dir;

    @Test
    void everyMetadataValueTypeRoundTrips() {
        Path file = dir.resolve("model.gguf");
        try (GgufWriter w = new GgufWriter(file)) {
            w.putString("general.architecture", "deepseek2")
                    .putUint8("t.uint8", 255).putInt8("t.int8", -128)
                    .putUint16("t.uint16", 65535).putInt16("t.int16", -32768)
                    .putUint32("t.uint32", 4_294_967_295L).putInt32("t.int32", Integer.MIN_VALUE)
                    .putUint64("t.uint64", Long.MAX_VALUE).putInt64("t.int64", Long.MIN_VALUE)
                    .putFloat32("t.float32", 1.5f).putFloat64("t.float64", Math.PI).putBool("t.bool", true)
                    .putStringArray("t.strings", List.of("", "ü", "<｜end▁of▁sentence｜>"))
                    .putInt32Array("t.int32s", new int[] {1, -2, Integer.MAX_VALUE})
                    .putFloat32Array("t.float32s", new float[] {0.25f, -1e-6f})
                    .putFloat64Array("t.float64s", new double[] {1e300})
                    .putBoolArray("t.bools", new boolean[] {true, false})
                    .putIntegerArray("t.uint8s", GgufValueType.UINT8, new long[] {0, 255})
                    .putIntegerArray("t.uint64s", GgufValueType.UINT64, new long[] {Long.MAX_VALUE})
                    .putStringArray("t.empty", List.of());
            w.writeHeader();
        }
        try (GgufFile gguf = GgufFile.open(file)) {
            GgufMetadata m = gguf.metadata();
            assertThat(m.keys()).containsExactly("general.architecture", "t.uint8", "t.int8", "t.uint16", "t.int16", "t.uint32",
                    "t.int32", "t.uint64", "t.int64", "t.float32", "t.float64", "t.bool", "t.strings", "t.int32s", "t.float32s",
                    "t.float64s", "t.bools", "t.uint8s", "t.uint64s", "t.empty");
            assertThat(m.keys().stream().map(m::type)).containsExactly(GgufValueType.STRING, GgufValueType.UINT8,
                    GgufValueType.INT8, GgufValueType.UINT16, GgufValueType.INT16, GgufValueType.UINT32, GgufValueType.INT32,
                    GgufValueType.UINT64, GgufValueType.INT64, GgufValueType.FLOAT32, GgufValueType.FLOAT64, GgufValueType.BOOL,
                    GgufValueType.ARRAY, GgufValueType.ARRAY, GgufValueType.ARRAY, GgufValueType.ARRAY, GgufValueType.ARRAY,
                    GgufValueType.ARRAY, GgufValueType.ARRAY, GgufValueType.ARRAY);
            assertThat(m.string("general.architecture")).isEqualTo("deepseek2");
            assertThat(m.integer("t.uint8")).isEqualTo(255);
            assertThat(m.integer("t.int8")).isEqualTo(-128);
            assertThat(m.integer("t.uint16")).isEqualTo(65535);
            assertThat(m.integer("t.int16")).isEqualTo(-32768);
            assertThat(m.integer("t.uint32")).isEqualTo(4_294_967_295L);
            assertThat(m.integer("t.int32")).isEqualTo(Integer.MIN_VALUE);
            assertThat(m.integer("t.uint64")).isEqualTo(Long.MAX_VALUE);
            assertThat(m.integer("t.int64")).isEqualTo(Long.MIN_VALUE);
            assertThat(m.real("t.float32")).isEqualTo(1.5);
            assertThat(m.real("t.float64")).isEqualTo(Math.PI);
            assertThat(m.bool("t.bool")).isTrue();
            assertThat(m.strings("t.strings")).containsExactly("", "ü", "<｜end▁of▁sentence｜>");
            assertThat(m.ints("t.int32s")).containsExactly(1, -2, Integer.MAX_VALUE);
            assertThat(m.floats("t.float32s")).containsExactly(0.25f, -1e-6f);
            assertThat(m.raw("t.float64s")).isEqualTo(new double[] {1e300});
            assertThat(m.raw("t.bools")).isEqualTo(new boolean[] {true, false});
            assertThat(m.ints("t.uint8s")).containsExactly(0, 255);
            assertThat(m.raw("t.uint64s")).isEqualTo(new long[] {Long.MAX_VALUE});
            assertThat(m.strings("t.empty")).isEmpty();
            assertThat(m.elementType("t.uint8s")).isEqualTo(GgufValueType.UINT8);
            assertThat(m.elementType("t.uint8")).isNull();
            assertThat(m.arrayLength("t.strings")).isEqualTo(3);
            assertThat(gguf.tensors()).isEmpty();
        }
    }

    @Test
    void tensorsOfSeveralTypesRoundTripAlignedAndInOrder() {
        Path file = dir.resolve("model.gguf");
        try (GgufWriter w = new GgufWriter(file)) {
            w.putString("general.architecture", "deepseek2");
            w.addTensor("token_embd.weight", GgmlType.F32, 4, 3);          // 48 bytes
            w.addTensor("blk.0.attn_q.weight", GgmlType.Q4_K, 256, 2);     // 288 bytes
            w.addTensor("blk.0.ffn_gate_inp.weight", GgmlType.Q8_0, 32);   // 34 bytes
            w.addTensor("blk.0.attn_norm.weight", GgmlType.BF16, 5);       // 10 bytes
            w.addTensor("blk.0.ffn_down_exps.weight", GgmlType.Q6_K, 256, 1, 2); // 420 bytes
            w.writeHeader();
            w.writeTensor("token_embd.weight", pattern(48, 1));
            w.writeTensor("blk.0.attn_q.weight", pattern(288, 2));
            w.writeTensor("blk.0.ffn_gate_inp.weight", pattern(34, 3));
            w.writeTensor("blk.0.attn_norm.weight", pattern(10, 4));
            w.writeTensor("blk.0.ffn_down_exps.weight", pattern(420, 5));
        }
        try (GgufFile gguf = GgufFile.open(file)) {
            assertThat(gguf.version()).isEqualTo(3);
            assertThat(gguf.alignment()).isEqualTo(32);
            assertThat(gguf.dataOffset() % 32).isZero();
            assertThat(gguf.tensors().keySet()).containsExactly("token_embd.weight", "blk.0.attn_q.weight",
                    "blk.0.ffn_gate_inp.weight", "blk.0.attn_norm.weight", "blk.0.ffn_down_exps.weight");
            long data = gguf.dataOffset();
            assertThat(gguf.tensor("token_embd.weight"))
                    .isEqualTo(new GgufTensor("token_embd.weight", GgmlType.F32, new long[] {4, 3}, data, 48));
            assertThat(gguf.tensor("blk.0.attn_q.weight"))
                    .isEqualTo(new GgufTensor("blk.0.attn_q.weight", GgmlType.Q4_K, new long[] {256, 2}, data + 64, 288));
            assertThat(gguf.tensor("blk.0.ffn_gate_inp.weight").offset()).isEqualTo(data + 64 + 288);
            assertThat(gguf.tensor("blk.0.attn_norm.weight").offset()).isEqualTo(data + 64 + 288 + 64);
            GgufTensor experts = gguf.tensor("blk.0.ffn_down_exps.weight");
            assertThat(experts.offset()).isEqualTo(data + 64 + 288 + 64 + 32);
            assertThat(experts.dimsText()).isEqualTo("[256, 1, 2]");
            assertThat(experts.elements()).isEqualTo(512);
            assertThat(gguf.tensor("absent")).isNull();

            int seed = 1;
            for (GgufTensor t : gguf.tensors().values()) {
                var bytes = gguf.data(t);
                assertThat(bytes.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
                assertThat(bytes.isReadOnly()).isTrue();
                assertThat(bytes(bytes)).as(t.name()).isEqualTo(bytes(pattern((int) t.byteLength(), seed++)));
            }
            // One expert's slice of a stacked-experts tensor, as a loader reads tensors over 2 GiB.
            assertThat(bytes(gguf.data(experts, 210, 210))).isEqualTo(bytes(pattern(420, 5).position(210)));
            // The last tensor is padded to the alignment too, as llama.cpp and gguf-py write it.
            assertThat(file.toFile().length()).isEqualTo(experts.offset() + 448);
        }
    }

    @Test
    void aCustomAlignmentIsStoredAsGeneralAlignmentAndHonoured() {
        Path file = dir.resolve("model.gguf");
        try (GgufWriter w = new GgufWriter(file, 64)) {
            w.putString("general.architecture", "deepseek2");
            w.addTensor("a", GgmlType.F32, 3);
            w.addTensor("b", GgmlType.F16, 3);
            w.writeHeader();
            w.writeTensor("a", pattern(12, 1));
            w.writeTensor("b", pattern(6, 2));
        }
        try (GgufFile gguf = GgufFile.open(file)) {
            assertThat(gguf.alignment()).isEqualTo(64);
            assertThat(gguf.metadata().keys()).containsExactly("general.architecture", "general.alignment");
            assertThat(gguf.metadata().type("general.alignment")).isEqualTo(GgufValueType.UINT32);
            assertThat(gguf.dataOffset() % 64).isZero();
            assertThat(gguf.tensor("b").offset()).isEqualTo(gguf.dataOffset() + 64);
            assertThat(bytes(gguf.data(gguf.tensor("b")))).isEqualTo(bytes(pattern(6, 2)));
        }
    }
}
