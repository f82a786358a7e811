package io.streamseek.gpu.loader.gguf;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ggml type table: ids, block sizes and names as ggml defines them. */
class GgmlTypeTest {

    @Test
    void idsAndSizesAreGgmls() {
        assertThat(GgmlType.values()).hasSize(34);
        assertThat(GgmlType.fromId(12)).isEqualTo(GgmlType.Q4_K);
        assertThat(GgmlType.Q4_K.blockSize()).isEqualTo(256);
        assertThat(GgmlType.Q4_K.typeSize()).isEqualTo(144);
        assertThat(GgmlType.Q8_0.byteSize(64)).isEqualTo(68);
        assertThat(GgmlType.Q8_1.typeSize()).isEqualTo(36);
        assertThat(GgmlType.IQ2_XXS.typeSize()).isEqualTo(66);
        assertThat(GgmlType.MXFP4.byteSize(32)).isEqualTo(17);
        assertThat(GgmlType.BF16.byteSize(3)).isEqualTo(6);
        for (GgmlType type : GgmlType.values()) {
            assertThat(GgmlType.fromId(type.id())).isEqualTo(type);
        }
    }

    @Test
    void retiredAndUnknownIdsAreNull() {
        for (int id : new int[] {-1, 4, 5, 31, 32, 33, 36, 37, 38, 42, 1000}) {
            assertThat(GgmlType.fromId(id)).as("id %d", id).isNull();
        }
    }

    @Test
    void namesAreTheOnesLlamaCppPrints() {
        assertThat(GgmlType.Q4_K.ggmlName()).isEqualTo("q4_K");
        assertThat(GgmlType.Q8_0.ggmlName()).isEqualTo("q8_0");
        assertThat(GgmlType.IQ2_XXS.ggmlName()).isEqualTo("iq2_xxs");
        assertThat(GgmlType.BF16.ggmlName()).isEqualTo("bf16");
        assertThat(GgmlType.F32.ggmlName()).isEqualTo("f32");
        assertThat(GgmlType.names(EnumSet.of(GgmlType.Q8_0, GgmlType.F32, GgmlType.BF16))).isEqualTo("f32, q8_0, bf16");
        assertThat(GgmlType.Q6_K.isQuantized()).isTrue();
        assertThat(GgmlType.F16.isQuantized()).isFalse();
    }

    @Test
    void byteSizeRefusesAPartialBlock() {
        assertThatThrownBy(() -> GgmlType.Q4_K.byteSize(300))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("300 elements of q4_K are not a whole number of its 256-element blocks");
    }
}
