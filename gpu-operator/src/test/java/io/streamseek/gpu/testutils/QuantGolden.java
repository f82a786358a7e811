package io.streamseek.gpu.testutils;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The GGUF block-format golden files under {@code golden/quant/} (written by
 * {@code src/test/python/make_quant_golden.py} with the {@code gguf} package): per type, raw
 * blocks with their dequantized values, and for the quantizers' formats inputs with their
 * quantized bytes.
 */
public final class QuantGolden {

    /** A float32 array with its {@code [rows, cols]}. */
    public record Matrix(int rows, int cols, float[] values) {
    }

    private QuantGolden() {
    }

    /** {@code TYPE.blocks.bin}: row-major blocks (2-byte values for f16/bf16). */
    public static byte[] blocks(String type) {
        return bytes(type + ".blocks.bin");
    }

    /** {@code TYPE.dequant.npy}: {@code gguf.quants.dequantize} of {@link #blocks}. */
    public static Matrix dequantized(String type) {
        return matrix(type + ".dequant.npy");
    }

    /** {@code TYPE.input.npy}: the floats that were quantized into {@link #quantized}. */
    public static Matrix input(String type) {
        return matrix(type + ".input.npy");
    }

    /** {@code TYPE.quant.bin}: {@code gguf.quants.quantize} of {@link #input}. */
    public static byte[] quantized(String type) {
        return bytes(type + ".quant.bin");
    }

    private static Matrix matrix(String name) {
        byte[] npy = bytes(name);
        int[] dims = Npy.dimensions(npy);
        try {
            return new Matrix(dims[0], dims[1], Npy.readFloat32(npy, name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] bytes(String name) {
        try (InputStream in = QuantGolden.class.getClassLoader().getResourceAsStream("golden/quant/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no golden file golden/quant/" + name + "; run src/test/python/make_quant_golden.py");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
