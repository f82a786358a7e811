package io.streamseek.gpu.testutils;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a little-endian float32 {@code .npy} array (what NumPy and our NpyWriter write). */
public final class Npy {

    private Npy() {
    }

    public static float[] readFloat32(Path file) throws IOException {
        return readFloat32(Files.readAllBytes(file), file.toString());
    }

    /** {@link #readFloat32(Path)} of a file's bytes (a classpath resource); {@code name} labels errors. */
    public static float[] readFloat32(byte[] bytes, String name) throws IOException {
        int headerLength = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
        String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
        if (!header.contains("'descr': '<f4'")) {
            throw new IOException(name + " is not a little-endian float32 array: " + header.trim());
        }
        ByteBuffer data = ByteBuffer.wrap(bytes, 10 + headerLength, bytes.length - 10 - headerLength).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[data.remaining() / 4];
        data.asFloatBuffer().get(values);
        return values;
    }

    /** The dimensions in the header of a file's bytes, e.g. {@code [12, 512]}. */
    public static int[] dimensions(byte[] bytes) {
        int headerLength = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
        String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
        String shape = header.substring(header.indexOf("'shape': (") + 10, header.indexOf(')'));
        return java.util.Arrays.stream(shape.split(",")).map(String::trim).filter(d -> !d.isEmpty()).mapToInt(Integer::parseInt).toArray();
    }

    /** The shape in the header, e.g. {@code (12, 512)}. */
    public static String shape(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
        String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
        return header.substring(header.indexOf("'shape': ") + 9, header.indexOf(')') + 1);
    }
}
