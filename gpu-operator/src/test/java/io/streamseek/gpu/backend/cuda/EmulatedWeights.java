package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cpu.ScalarDot;
import io.streamseek.gpu.backend.cuda.kernel.MoeKernels;

/**
 * A row-major {@code [rows, cols]} weight in device memory, decoded as the kernels decode it
 * ({@code common.cuh}): f32 values, bf16 bit patterns, or E4M3 codes with
 * {@code [ceil(rows/128), ceil(cols/128)]} f32 block scales, each weight
 * {@link ScalarDot#dequantE4m3 bf16(e4m3 × scale)}.
 */
final class EmulatedWeights {

    /** Storage formats, numbered as the expert kernels' {@code format} argument. */
    static final int F32 = MoeKernels.FORMAT_F32;
    static final int BF16 = MoeKernels.FORMAT_BF16;
    static final int E4M3 = MoeKernels.FORMAT_E4M3;

    private static final int SCALE_BLOCK = 128;

    private final EmulatedMemory memory;
    private final int format;
    private final long values;
    private final long scales;
    private final int cols;
    private final int scaleCols;

    EmulatedWeights(EmulatedMemory memory, int format, long values, long scales, int cols) {
        if (format != F32 && format != BF16 && format != E4M3) {
            throw new IllegalArgumentException("no weight storage format " + format + "; expected " + F32 + " (f32), " + BF16
                    + " (bf16) or " + E4M3 + " (e4m3)");
        }
        this.memory = memory;
        this.format = format;
        this.values = values;
        this.scales = scales;
        this.cols = cols;
        this.scaleCols = (cols + SCALE_BLOCK - 1) / SCALE_BLOCK;
    }

    /** W[row, col] in f32. */
    float get(int row, int col) {
        long index = (long) row * cols + col;
        return switch (format) {
            case F32 -> memory.f32(values, index);
            case BF16 -> ScalarDot.bf16ToFloat(memory.u16(values, index));
            default -> ScalarDot.dequantE4m3(memory.u8(values, index),
                    memory.f32(scales, (long) (row / SCALE_BLOCK) * scaleCols + col / SCALE_BLOCK));
        };
    }

    /** {@code W[row, :] · x[0 .. cols)}, f32 in column order; x rounded to bf16 first when {@code bf16Inputs}. */
    float dot(int row, long x, boolean bf16Inputs) {
        float sum = 0f;
        for (int c = 0; c < cols; c++) {
            float input = memory.f32(x, c);
            sum += get(row, c) * (bf16Inputs ? ScalarDot.roundToBf16(input) : input);
        }
        return sum;
    }
}
