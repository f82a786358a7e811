package io.streamseek.gpu.backend.cpu;

import io.streamseek.gpu.backend.cpu.Linear.Format;
import io.streamseek.gpu.testutils.QuantGolden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dequantization bit-exact with {@code gguf.quants.dequantize} (golden files of several rows of
 * several blocks, random scales over the whole finite f16 range): the scalar reference
 * ({@link Linear#get}, {@link Linear#copyRow}) and the vector kernels, read through one-hot
 * activations (a dot with e_c is weight c plus exact zeros).
 */
class BlockFormatsGoldenTest {

    @ParameterizedTest
    @EnumSource(value = Format.class, names = {"Q8_0", "Q4_0", "Q5_0", "Q4_K", "Q5_K", "Q6_K", "F16", "BF16"})
    void getAndCopyRowDequantizeBitExactlyAsGguf(Format format) {
        QuantGolden.Matrix expected = QuantGolden.dequantized(format.name().toLowerCase());
        Linear w = Linear.of(format, expected.rows(), expected.cols(), ByteBuffer.wrap(QuantGolden.blocks(format.name().toLowerCase())));
        float[] row = new float[expected.cols()];
        for (int r = 0; r < expected.rows(); r++) {
            w.copyRow(r, row, 0);
            for (int c = 0; c < expected.cols(); c++) {
                int bits = Float.floatToRawIntBits(expected.values()[r * expected.cols() + c]);
                assertThat(Float.floatToRawIntBits(w.get(r, c))).as("%s get(%d, %d)", format, r, c).isEqualTo(bits);
                assertThat(Float.floatToRawIntBits(row[c])).as("%s copyRow(%d)[%d]", format, r, c).isEqualTo(bits);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Format.class, names = {"Q8_0", "Q4_0", "Q5_0", "Q4_K", "Q5_K", "Q6_K", "F16"})
    void vectorKernelsDequantizeBitExactlyAsGguf(Format format) {
        QuantGolden.Matrix expected = QuantGolden.dequantized(format.name().toLowerCase());
        Linear w = Linear.of(format, expected.rows(), expected.cols(), ByteBuffer.wrap(QuantGolden.blocks(format.name().toLowerCase())));
        int cols = expected.cols();
        float[] oneHot = new float[4 * cols];
        float[] out = new float[4 * w.rows()];
        for (int c = 0; c < cols; c++) {
            for (int t = 0; t < 4; t++) {
                oneHot[t * cols + c] = 1f;
            }
            w.matmul(oneHot, 0, cols, out, 0, w.rows(), 4, 0, w.rows());
            for (int r = 0; r < w.rows(); r++) {
                if (!finite(expected.values(), r * cols, cols)) {
                    continue; // an inf weight times the zeros of e_c is NaN: VectorDotTest checks f16 specials lane by lane
                }
                float value = expected.values()[r * cols + c];
                assertThat(w.dot(r, oneHot, 0)).as("%s dot(%d, e_%d)", format, r, c).isEqualTo(value == 0 ? 0f : value);
                for (int t = 0; t < 4; t++) {
                    assertThat(out[t * w.rows() + r]).as("%s 4-token, token %d, (%d, %d)", format, t, r, c).isEqualTo(value == 0 ? 0f : value);
                }
            }
            for (int t = 0; t < 4; t++) {
                oneHot[t * cols + c] = 0f;
            }
        }
    }

    private static boolean finite(float[] values, int from, int n) {
        for (int i = from; i < from + n; i++) {
            if (!Float.isFinite(values[i])) {
                return false;
            }
        }
        return true;
    }
}
