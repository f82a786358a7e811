package io.streamseek.gpu.loader;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Writes a {@code .safetensors} file: tensors are added in order, then {@link #write} lays them out contiguously. */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private record Entry(String name, DType dtype, long[] shape, ByteBuffer data) {
    }

    private final List<Entry> entries = new ArrayList<>();

    /** Adds a tensor whose little-endian bytes are {@code data} (position 0 to limit). */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, ByteBuffer data) {
        long elements = 1;
        for (long d : shape) {
            elements *= d;
        }
        if (elements * dtype.bytes() != data.remaining()) {
            throw new IllegalArgumentException("tensor " + name + ": shape needs " + elements * dtype.bytes() + " bytes, got " + data.remaining());
        }
        entries.add(new Entry(name, dtype, shape.clone(), data.duplicate()));
        return this;
    }

    /** Names of the tensors added, in order. */
    public List<String> names() {
        return entries.stream().map(Entry::name).toList();
    }

    /** Total bytes of tensor data added so far. */
    public long dataBytes() {
        return entries.stream().mapToLong(e -> e.data().remaining()).sum();
    }

    public void write(Path file) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = header.putObject(e.name());
            t.put("dtype", e.dtype().headerName());
            var shape = t.putArray("shape");
            for (long d : e.shape()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + e.data().remaining());
            offset += e.data().remaining();
        }
        byte[] json = JSON.writeValueAsBytes(header);
        // Hugging Face pads the header with spaces so the data starts 8-byte aligned.
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(json);
        while (prefix.hasRemaining()) {
            prefix.put((byte) ' ');
        }
        prefix.flip();
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeFully(out, prefix);
            for (Entry e : entries) {
                writeFully(out, e.data().duplicate());
            }
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** Encodes f32 values in {@code dtype} (F32, BF16 with round-to-nearest-even, or F16 is not offered). */
    public static ByteBuffer encode(float[] values, DType dtype) {
        ByteBuffer out = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> out.asFloatBuffer().put(values);
            case BF16 -> {
                for (float v : values) {
                    out.putShort(FloatFormats.toBf16(v));
                }
                out.flip();
            }
            default -> throw new IllegalArgumentException("cannot encode " + dtype + " from floats; use F32 or BF16, or FloatFormats for FP8");
        }
        out.position(0);
        out.limit(values.length * dtype.bytes());
        return out;
    }
}
