package io.streamseek.gpu.quantize;

import io.streamseek.gpu.backend.cpu.Linear.Format;
import io.streamseek.gpu.testutils.QuantGolden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every quantized byte against {@code gguf.quants.quantize} (golden files with zero and constant
 * blocks, rounding ties, negative maxima, f16 subnormals, overflow, infinities and NaNs).
 */
class BlockQuantizerTest {

    @ParameterizedTest
    @EnumSource(value = Format.class, names = {"Q8_0", "Q4_0", "F16", "BF16"})
    void quantizesBitExactlyAsGguf(Format format) {
        String type = format.name().toLowerCase();
        QuantGolden.Matrix input = QuantGolden.input(type);
        byte[] expected = QuantGolden.quantized(type);
        ByteBuffer out = ByteBuffer.allocate(expected.length);
        for (int r = 0; r < input.rows(); r++) {
            BlockQuantizer.quantizeRow(format, input.values(), r * input.cols(), input.cols(), out);
        }
        assertThat(out.position()).isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++) {
            int block = i / (int) format.rowBytes(format.blockSize());
            assertThat(out.get(i)).as("%s byte %d (block %d)", format, i, block).isEqualTo(expected[i]);
        }
    }

    @Test
    void roundsHalvesAwayFromZeroAsCRoundf() {
        assertThat(BlockQuantizer.roundHalfAwayFromZero(2.5f)).isEqualTo(3f);
        assertThat(BlockQuantizer.roundHalfAwayFromZero(-2.5f)).isEqualTo(-3f);
        assertThat(BlockQuantizer.roundHalfAwayFromZero(0.49999997f)).isEqualTo(0f);
        assertThat(BlockQuantizer.roundHalfAwayFromZero(-0.5f)).isEqualTo(-1f);
    }

    @Test
    void convertsToF16AndBf16WithTiesToEven() {
        assertThat(BlockQuantizer.toF16(1f)).isEqualTo((short) 0x3c00);
        assertThat(BlockQuantizer.toF16(65504f)).isEqualTo((short) 0x7bff);
        assertThat(BlockQuantizer.toF16(65520f)).isEqualTo((short) 0x7c00);
        assertThat(BlockQuantizer.toF16(0x1p-24f)).isEqualTo((short) 0x0001);
        assertThat(BlockQuantizer.toF16(0x1p-25f)).isEqualTo((short) 0x0000);
        assertThat(BlockQuantizer.toF16(-0f)).isEqualTo((short) 0x8000);
        assertThat(BlockQuantizer.toBf16(1f + 0x1p-8f)).isEqualTo((short) 0x3f80);
        assertThat(BlockQuantizer.toBf16(1f + 3 * 0x1p-8f)).isEqualTo((short) 0x3f82);
        assertThat(BlockQuantizer.toBf16(Float.intBitsToFloat(0x7f800001))).isEqualTo((short) 0x7fc0);
    }

    @Test
    void refusesFormatsItCannotWriteAndPartialBlocks() {
        ByteBuffer out = ByteBuffer.allocate(1024);
        assertThatThrownBy(() -> BlockQuantizer.quantizeRow(Format.Q4_K, new float[256], 0, 256, out))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no quantizer for Q4_K; this class writes F32, Q8_0, Q4_0, F16 and BF16");
        assertThatThrownBy(() -> BlockQuantizer.quantizeRow(Format.Q8_0, new float[48], 0, 48, out))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot quantize 48 values to Q8_0: not a multiple of its block size 32");
    }
}
