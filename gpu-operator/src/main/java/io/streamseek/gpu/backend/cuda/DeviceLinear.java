package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.backend.cuda.driver.DevicePointer;

/**
 * One weight on the device, row-major {@code [rows, cols]} in its storage format (F16 widened to
 * f32), and the products it takes part in: CUDA-core kernels for decode tokens, tensor cores for
 * prefill chunks of bf16 and FP8 weights.
 */
final class DeviceLinear implements AutoCloseable {

    final Linear.Format format;
    final int rows;
    final int cols;
    final DeviceArray values;
    final DeviceArray scales; // E4M3 block scales; null otherwise

    private DeviceLinear(Linear.Format format, int rows, int cols, DeviceArray values, DeviceArray scales) {
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        this.values = values;
        this.scales = scales;
    }

    /** Copies {@code w} to the device; {@code name} (the checkpoint's tensor name) labels an allocation that fails. */
    static DeviceLinear upload(DeviceMemory memory, Linear w, String name) {
        requireDeviceFormat(w, name);
        return switch (w.format()) {
            case F32, F16 -> {
                float[] values = w.f32RowMajor();
                DeviceArray buffer = memory.allocate(4L * values.length, name);
                buffer.upload(values);
                yield new DeviceLinear(Linear.Format.F32, w.rows(), w.cols(), buffer, null);
            }
            case BF16 -> {
                short[] bits = w.bf16RowMajor();
                DeviceArray buffer = memory.allocate(2L * bits.length, name);
                buffer.upload(bits);
                yield new DeviceLinear(Linear.Format.BF16, w.rows(), w.cols(), buffer, null);
            }
            case E4M3 -> {
                byte[] codes = w.e4m3Codes();
                float[] blockScales = w.e4m3BlockScales();
                DeviceArray buffer = memory.allocate(codes.length, name);
                buffer.upload(codes);
                DeviceArray scaleBuffer = memory.allocate(4L * blockScales.length, name + ".weight_scale_inv");
                scaleBuffer.upload(blockScales);
                yield new DeviceLinear(Linear.Format.E4M3, w.rows(), w.cols(), buffer, scaleBuffer);
            }
            case Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K -> throw new IllegalStateException("unreachable: refused above");
        };
    }

    /**
     * Refuses a weight no device kernel reads: the GGUF block formats run on the CPU backend only
     * (dequantizing them on upload would silently multiply their memory by 4 to 7).
     */
    static void requireDeviceFormat(Linear w, String name) {
        if (w.format().isBlockQuantized()) {
            throw new IllegalArgumentException("the CUDA backend runs F32/BF16/FP8 weights; tensor " + name + " is " + w.format()
                    + ": use the CPU backend or a bf16 checkpoint");
        }
    }

    /** The scales' device address, or null for a format without them: what the grouped expert kernels read. */
    long scalesAddress() {
        return scales == null ? 0 : scales.address();
    }

    /**
     * {@code out[t·outStride + r] = W[r, :] · x[t·xStride ..]} for {@code tokens} rows.
     *
     * @param prefill rows of a prefill chunk: tensor cores where the format has them
     */
    void apply(DeviceKernels k, DevicePointer x, int xStride, DevicePointer out, int outStride, int tokens, boolean prefill) {
        switch (format) {
            case F32 -> k.linearF32(x, xStride, values.pointer(), out, outStride, tokens, rows, cols);
            case BF16 -> {
                if (prefill) {
                    k.linearBf16Mma(x, xStride, values.pointer(), out, outStride, tokens, rows, cols);
                } else {
                    k.linearBf16(x, xStride, values.pointer(), out, outStride, tokens, rows, cols);
                }
            }
            case E4M3 -> {
                if (prefill) {
                    k.linearE4m3Mma(x, xStride, values.pointer(), scales.pointer(), out, outStride, tokens, rows, cols);
                } else {
                    k.linearE4m3(x, xStride, values.pointer(), scales.pointer(), out, outStride, tokens, rows, cols);
                }
            }
            default -> throw new IllegalStateException("no device kernel reads " + format + " weights");
        }
    }

    @Override
    public void close() {
        values.close();
        if (scales != null) {
            scales.close();
        }
    }
}
