package io.streamseek.gpu.loader.gguf;

import io.streamseek.gpu.loader.CheckpointException;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The typed getters: what widens, what falls back, and the message when a key is missing or mistyped. */
class GgufMetadataTest {

    @TempDir
    Path dir;

    private GgufMetadata metadata;

    @BeforeEach
    void write() {
        Path file = dir.resolve("model.gguf");
        try (GgufWriter w = new GgufWriter(file)) {
            w.putString("general.architecture", "deepseek2")
                    .putUint32("deepseek2.block_count", 61)
                    .putUint8("small", 7)
                    .putFloat32("deepseek2.rope.scaling.factor", 40f)
                    .putBool("flag", false)
                    .putStringArray("tokenizer.ggml.tokens", List.of("<s>", "a"))
                    .putIntegerArray("big.uint32s", GgufValueType.UINT32, new long[] {1, 4_294_967_295L})
                    .putFloat64Array("reals", new double[] {0.5, 1e-3});
            w.writeHeader();
        }
        try (GgufFile gguf = GgufFile.open(file)) {
            metadata = gguf.metadata();
        }
    }

    @Test
    void integersOfAnyWidthWidenAndRealsAcceptIntegers() {
        assertThat(metadata.integer("deepseek2.block_count")).isEqualTo(61);
        assertThat(metadata.integer("small")).isEqualTo(7);
        assertThat(metadata.real("deepseek2.block_count")).isEqualTo(61.0);
        assertThat(metadata.real("deepseek2.rope.scaling.factor")).isEqualTo(40.0);
        assertThat(metadata.floats("reals")).containsExactly(0.5f, 1e-3f);
        assertThat(metadata.raw("deepseek2.block_count")).isEqualTo(61L);
        assertThat(metadata.raw("deepseek2.rope.scaling.factor")).isEqualTo(40f);
        assertThat(metadata.raw("tokenizer.ggml.tokens")).isEqualTo(List.of("<s>", "a"));
    }

    @Test
    void fallbacksApplyOnlyToAbsentKeys() {
        assertThat(metadata.string("general.name", "unnamed")).isEqualTo("unnamed");
        assertThat(metadata.integer("deepseek2.expert_count", 256)).isEqualTo(256);
        assertThat(metadata.real("deepseek2.rope.freq_base", 10000)).isEqualTo(10000.0);
        assertThat(metadata.bool("absent", true)).isTrue();
        assertThat(metadata.bool("flag", true)).isFalse();
        assertThat(metadata.has("flag")).isTrue();
        assertThat(metadata.has("absent")).isFalse();
        assertThatThrownBy(() -> metadata.integer("general.architecture", 0))
                .isInstanceOf(CheckpointException.class)
                .hasMessage("model.gguf: metadata key general.architecture has type STRING; expected an integer type (UINT8 to INT64)");
    }

    @Test
    void aMissingKeyIsNamed() {
        assertThatThrownBy(() -> metadata.string("general.name"))
                .isInstanceOf(CheckpointException.class)
                .hasMessage("model.gguf: metadata key general.name is missing");
        assertThatThrownBy(() -> metadata.type("general.name")).hasMessage("model.gguf: metadata key general.name is missing");
    }

    @Test
    void eachGetterNamesTheTypeFoundAndExpected() {
        assertThatThrownBy(() -> metadata.string("deepseek2.block_count"))
                .hasMessage("model.gguf: metadata key deepseek2.block_count has type UINT32; expected STRING");
        assertThatThrownBy(() -> metadata.real("flag"))
                .hasMessage("model.gguf: metadata key flag has type BOOL; expected FLOAT32 or FLOAT64");
        assertThatThrownBy(() -> metadata.bool("small"))
                .hasMessage("model.gguf: metadata key small has type UINT8; expected BOOL");
        assertThatThrownBy(() -> metadata.strings("big.uint32s"))
                .hasMessage("model.gguf: metadata key big.uint32s has type ARRAY of UINT32; expected ARRAY of STRING");
        assertThatThrownBy(() -> metadata.ints("tokenizer.ggml.tokens"))
                .hasMessage("model.gguf: metadata key tokenizer.ggml.tokens has type ARRAY of STRING; expected ARRAY of an integer type");
        assertThatThrownBy(() -> metadata.floats("small"))
                .hasMessage("model.gguf: metadata key small has type UINT8; expected ARRAY of FLOAT32 or FLOAT64");
        assertThatThrownBy(() -> metadata.arrayLength("small"))
                .hasMessage("model.gguf: metadata key small has type UINT8; expected ARRAY");
    }

    @Test
    void intsRefuseElementsOutsideTheIntRange() {
        assertThatThrownBy(() -> metadata.ints("big.uint32s"))
                .hasMessage("model.gguf: metadata key big.uint32s element 1 is 4294967295 (UINT32), outside the int range");
    }

    @Test
    void aUint64AboveLongMaxIsAnErrorForIntegerButRawKeepsItsBits() {
        Path file = GgufTestFiles.write(dir.resolve("huge.gguf"), GgufTestFiles.header(0, 1)
                .string("huge").u32(GgufValueType.UINT64.id()).u64(-1L));
        try (GgufFile gguf = GgufFile.open(file)) {
            assertThatThrownBy(() -> gguf.metadata().integer("huge"))
                    .hasMessage("huge.gguf: metadata key huge is UINT64 18446744073709551615, above the largest value this reader takes"
                            + " (9223372036854775807)");
            assertThat(gguf.metadata().raw("huge")).isEqualTo(-1L);
        }
    }
}
