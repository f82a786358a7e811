package io.streamseek.gpu.loader.gguf;

import io.streamseek.gpu.loader.CheckpointException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;

/**
 * A {@code .gguf} file (version 3, little-endian), the llama.cpp format: a header with typed
 * metadata and tensor infos, then the tensors' data, each aligned. The whole header is validated at
 * {@link #open}, so a file that opens has every tensor inside the file, aligned, of a known type and
 * with a size that matches its dims; tensor data is memory-mapped on demand and never copied.
 *
 * <p>Which tensor types the engine computes with is the model loader's decision, not this class's
 * ({@link #requireType} words the refusal).
 */
public final class GgufFile implements AutoCloseable {

    private final Path path;
    private final String name;
    private final FileChannel channel;
    private final GgufHeader header;

    private GgufFile(Path path, FileChannel channel, GgufHeader header) {
        this.path = path;
        this.name = path.getFileName().toString();
        this.channel = channel;
        this.header = header;
    }

    /**
     * Opens and validates {@code file}.
     *
     * @throws CheckpointException naming the file, the key or tensor involved and what was expected,
     *                             for any file that is not a readable GGUF version 3
     */
    public static GgufFile open(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": no such file", e);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot open: " + e, e);
        }
        try {
            long size = channel.size();
            // One mapping covers the header of any file; it is released with the parse, the
            // metadata having been copied out. Headers past 2 GiB are refused by GgufCursor.
            ByteBuffer window = channel.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, Integer.MAX_VALUE));
            return new GgufFile(file, channel, GgufHeader.read(file.getFileName().toString(), window, size));
        } catch (IOException e) {
            closeQuietly(channel);
            throw new CheckpointException(file + ": cannot read: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The format version; always 3, the only one {@link #open} accepts. */
    public int version() {
        return header.version();
    }

    /** The data alignment in bytes: {@code general.alignment}, or 32 when the file does not set it. */
    public long alignment() {
        return header.alignment();
    }

    /** Absolute file offset of the data section, where the stored tensor offsets count from. */
    public long dataOffset() {
        return header.dataOffset();
    }

    public GgufMetadata metadata() {
        return header.metadata();
    }

    /** Every tensor by name, in file order (unmodifiable). */
    public Map<String, GgufTensor> tensors() {
        return header.tensors();
    }

    /** The tensor with this name, or null when the file has none. */
    public GgufTensor tensor(String name) {
        return header.tensors().get(name);
    }

    /**
     * Exactly the tensor's bytes, memory-mapped read-only, little-endian.
     *
     * @throws CheckpointException for a tensor over 2 GiB (a Java 17 buffer's limit): read such a
     *                             tensor in slices with {@link #data(GgufTensor, long, int)}
     */
    public ByteBuffer data(GgufTensor tensor) {
        check(tensor);
        if (tensor.byteLength() > Integer.MAX_VALUE) {
            throw new CheckpointException(name + ": tensor " + tensor.name() + " has " + tensor.byteLength()
                    + " bytes, more than one Java 17 buffer can view (2 GiB); read it in slices with"
                    + " data(tensor, byteOffset, byteLength), e.g. one expert at a time");
        }
        return map(tensor, tensor.offset(), (int) tensor.byteLength());
    }

    /**
     * Bytes {@code [byteOffset, byteOffset + byteLength)} of the tensor, memory-mapped read-only,
     * little-endian; for tensors too large for one buffer, such as stacked experts
     * ({@code blk.N.ffn_gate_exps.weight}, one expert per slice along the last dim).
     */
    public ByteBuffer data(GgufTensor tensor, long byteOffset, int byteLength) {
        check(tensor);
        if (byteOffset < 0 || byteLength < 0 || byteOffset > tensor.byteLength() - byteLength) {
            throw new IllegalArgumentException("bytes [" + byteOffset + ", " + (byteOffset + byteLength) + ") are outside tensor "
                    + tensor.name() + " of " + name + ", which has " + tensor.byteLength() + " bytes");
        }
        return map(tensor, tensor.offset() + byteOffset, byteLength);
    }

    /**
     * Returns {@code tensor} if its type is in {@code supported}, else fails with a message the
     * model loader can pass on as is: "model.gguf: tensor blk.0.attn_q.weight has type iq2_xxs;
     * supported: f32, f16, bf16, q8_0 (requantize the model to one of them)".
     */
    public GgufTensor requireType(GgufTensor tensor, Set<GgmlType> supported) {
        if (!supported.contains(tensor.type())) {
            throw new CheckpointException(name + ": tensor " + tensor.name() + " has type " + tensor.type().ggmlName()
                    + ", which this engine does not run; supported: " + GgmlType.names(supported)
                    + " (re-quantize the file to one of them, e.g. llama-quantize --allow-requantize ... Q4_K_M)");
        }
        return tensor;
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    @Override
    public String toString() {
        return path + " (GGUF v" + version() + ", " + tensors().size() + " tensors, " + metadata().keys().size() + " metadata keys)";
    }

    private void check(GgufTensor tensor) {
        if (!tensor.equals(header.tensors().get(tensor.name()))) {
            throw new IllegalArgumentException("tensor " + tensor.name() + " is not a tensor of " + path);
        }
        if (!channel.isOpen()) {
            throw new IllegalStateException(path + " is closed; open it again to read tensor " + tensor.name());
        }
    }

    private ByteBuffer map(GgufTensor tensor, long start, int length) {
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, start, length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new CheckpointException(name + ": cannot map tensor " + tensor.name() + ": " + e, e);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }
}
