package io.streamseek.gpu.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a little-endian float32 array in NumPy's {@code .npy} format (version 1.0). */
public final class NpyWriter {

    private NpyWriter() {
    }

    /** Writes {@code values} (row-major) with the given shape. */
    public static void writeFloat32(Path file, float[] values, int... shape) throws IOException {
        long count = 1;
        StringBuilder dims = new StringBuilder();
        for (int d : shape) {
            count *= d;
            dims.append(d).append(", ");
        }
        if (count != values.length) {
            throw new IllegalArgumentException("shape holds " + count + " values, got " + values.length);
        }
        String shapeText = shape.length == 1 ? "(" + shape[0] + ",)" : "(" + dims.substring(0, dims.length() - 2) + ")";
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText + ", }";
        // Magic (6) + version (2) + header length (2) + header + '\n', padded with spaces to 64 bytes.
        int unpadded = 10 + header.length() + 1;
        int padded = (unpadded + 63) / 64 * 64;
        String line = header + " ".repeat(padded - unpadded) + "\n";
        ByteBuffer prefix = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        prefix.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0)
                .putShort((short) line.length());
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(prefix.array());
            out.write(line.getBytes(StandardCharsets.US_ASCII));
            out.write(data.array());
        }
    }
}
