package io.streamseek.gpu.loader.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes a GGUF version 3 file in one pass with bounded memory: put the metadata and declare every
 * tensor ({@link #addTensor}), {@link #writeHeader}, then stream each tensor's bytes in declared
 * order ({@link #writeTensor}); only the header is held in memory. Each tensor starts at a multiple
 * of the alignment and is zero-padded to the next one, as llama.cpp and gguf-py write them.
 *
 * <p>Argument errors are {@link IllegalArgumentException}s and calls out of order
 * {@link IllegalStateException}s, each naming the key or tensor; I/O failures are
 * {@link UncheckedIOException}s naming the file. A file that was not completed is deleted by
 * {@link #close}, so a half-written GGUF never lies around looking valid.
 */
public final class GgufWriter implements AutoCloseable {

    /** llama.cpp refuses tensor names of GGML_MAX_NAME (64) bytes or more. */
    private static final int MAX_NAME_BYTES = 63;
    private static final byte[] ZEROS = new byte[4096];

    private record Declared(String name, GgmlType type, long[] dims, long relativeOffset, long byteLength) {
        String describe() {
            return type.ggmlName() + " " + Arrays.toString(dims);
        }
    }

    private final Path out;
    private final long alignment;
    private final FileChannel channel;
    private final GgufKvSection kv = new GgufKvSection();
    private final List<Declared> declared = new ArrayList<>();
    private final Map<String, Integer> indexByName = new HashMap<>();
    private long dataBytes;
    private boolean headerWritten;
    private int written;
    private boolean closed;

    /** Creates (or truncates) {@code out}, with GGUF's default alignment of 32 bytes. */
    public GgufWriter(Path out) {
        this(out, (int) GgufHeader.DEFAULT_ALIGNMENT);
    }

    /** As {@link #GgufWriter(Path)} with another alignment, a power of two, stored as {@code general.alignment}. */
    public GgufWriter(Path out, int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment " + alignment + " is not a power of two (GGUF's default is 32)");
        }
        this.out = out;
        this.alignment = alignment;
        try {
            this.channel = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": cannot create: " + e.getMessage(), e);
        }
    }

    // Metadata, written in the order put. Unsigned values are range-checked, since a negative
    // long would silently become a huge unsigned one.

    public GgufWriter putString(String key, String v) {
        return put(() -> kv.putString(key, v));
    }

    /** {@code v} in 0..255. */
    public GgufWriter putUint8(String key, int v) {
        return put(() -> kv.putInteger(key, GgufValueType.UINT8, v));
    }

    public GgufWriter putInt8(String key, int v) {
        return put(() -> kv.putInteger(key, GgufValueType.INT8, v));
    }

    public GgufWriter putUint16(String key, int v) {
        return put(() -> kv.putInteger(key, GgufValueType.UINT16, v));
    }

    public GgufWriter putInt16(String key, int v) {
        return put(() -> kv.putInteger(key, GgufValueType.INT16, v));
    }

    /** {@code v} in 0..2^32-1 (a long, so the whole range is expressible). */
    public GgufWriter putUint32(String key, long v) {
        return put(() -> kv.putInteger(key, GgufValueType.UINT32, v));
    }

    public GgufWriter putInt32(String key, int v) {
        return put(() -> kv.putInteger(key, GgufValueType.INT32, v));
    }

    /** {@code v} must not be negative: values above {@code Long.MAX_VALUE} cannot be written. */
    public GgufWriter putUint64(String key, long v) {
        return put(() -> kv.putInteger(key, GgufValueType.UINT64, v));
    }

    public GgufWriter putInt64(String key, long v) {
        return put(() -> kv.putInteger(key, GgufValueType.INT64, v));
    }

    public GgufWriter putFloat32(String key, float v) {
        return put(() -> kv.putFloat32(key, v));
    }

    public GgufWriter putFloat64(String key, double v) {
        return put(() -> kv.putFloat64(key, v));
    }

    public GgufWriter putBool(String key, boolean v) {
        return put(() -> kv.putBool(key, v));
    }

    public GgufWriter putStringArray(String key, List<String> values) {
        return put(() -> kv.putStringArray(key, values));
    }

    public GgufWriter putInt32Array(String key, int[] values) {
        return put(() -> kv.putIntegerArray(key, GgufValueType.INT32, Arrays.stream(values).asLongStream().toArray()));
    }

    /** An array of any integer {@code elementType}, each value range-checked against it. */
    public GgufWriter putIntegerArray(String key, GgufValueType elementType, long[] values) {
        return put(() -> kv.putIntegerArray(key, elementType, values));
    }

    public GgufWriter putFloat32Array(String key, float[] values) {
        return put(() -> kv.putFloat32Array(key, values));
    }

    public GgufWriter putFloat64Array(String key, double[] values) {
        return put(() -> kv.putFloat64Array(key, values));
    }

    public GgufWriter putBoolArray(String key, boolean[] values) {
        return put(() -> kv.putBoolArray(key, values));
    }

    /**
     * Declares the next tensor; {@code dims} in ggml order, ne0 (the contiguous one) first. Its data
     * offset is fixed here, so tensors must later be written in this order.
     */
    public void addTensor(String name, GgmlType type, long... dims) {
        requireOpen("addTensor(" + name + ")");
        if (headerWritten) {
            throw new IllegalStateException("addTensor(" + name + ") after writeHeader(): declare every tensor first");
        }
        if (name == null || name.isEmpty() || type == null || dims == null) {
            throw new IllegalArgumentException("addTensor needs a non-empty name, a type and dims; got " + name + ", " + type);
        }
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name " + name + " is " + nameBytes
                    + " bytes; llama.cpp refuses names of 64 bytes or more");
        }
        if (indexByName.containsKey(name)) {
            throw new IllegalArgumentException("tensor " + name + " was already added; tensor names must be unique");
        }
        long byteLength = GgufTensor.byteLength(name, type, dims, IllegalArgumentException::new);
        Declared tensor = new Declared(name, type, dims.clone(), dataBytes, byteLength);
        indexByName.put(name, declared.size());
        declared.add(tensor);
        dataBytes = GgufHeader.align(dataBytes + tensor.byteLength(), alignment);
    }

    /** Writes magic, version 3, counts, metadata, the tensor infos and the padding up to the data section. */
    public void writeHeader() {
        requireOpen("writeHeader()");
        if (headerWritten) {
            throw new IllegalStateException("writeHeader() was already called for " + out);
        }
        if (alignment != GgufHeader.DEFAULT_ALIGNMENT) {
            kv.putAlignment(alignment);
        }
        GgufBytes header = new GgufBytes().bytes(new byte[] {'G', 'G', 'U', 'F'}).u32(GgufHeader.VERSION)
                .u64(declared.size()).u64(kv.size());
        kv.writeTo(header);
        for (Declared t : declared) {
            header.string(t.name()).u32(t.dims().length);
            for (long d : t.dims()) {
                header.u64(d);
            }
            header.u32(t.type().id()).u64(t.relativeOffset());
        }
        header.pad(alignment);
        write(header.toBuffer(), "the header");
        headerWritten = true;
    }

    /**
     * Writes the next declared tensor: {@code bytes} from position to limit (left unchanged), already
     * in GGUF's little-endian layout, exactly as many as its type and dims need.
     */
    public void writeTensor(String name, ByteBuffer bytes) {
        requireOpen("writeTensor(" + name + ")");
        if (!headerWritten) {
            throw new IllegalStateException("writeTensor(" + name + ") before writeHeader()");
        }
        if (written == declared.size() || !declared.get(written).name().equals(name)) {
            String next = written == declared.size() ? "every declared tensor is written"
                    : "the next declared tensor is " + declared.get(written).name();
            Integer index = indexByName.get(name);
            String problem = index == null ? "was never declared with addTensor"
                    : index < written ? "was already written" : "is out of order";
            throw new IllegalStateException("tensor " + name + " " + problem + ": " + next);
        }
        Declared tensor = declared.get(written);
        if (bytes.remaining() != tensor.byteLength()) {
            throw new IllegalArgumentException("tensor " + name + ": " + bytes.remaining() + " bytes given, but "
                    + tensor.describe() + " takes " + tensor.byteLength());
        }
        write(bytes.duplicate(), "tensor " + name);
        long padding = GgufHeader.align(tensor.byteLength(), alignment) - tensor.byteLength();
        for (long left = padding; left > 0; left -= ZEROS.length) {
            write(ByteBuffer.wrap(ZEROS, 0, (int) Math.min(left, ZEROS.length)), "the padding after tensor " + name);
        }
        written++;
    }

    /**
     * Closes the file. If the header or some declared tensor was never written, the file is
     * deleted and this fails naming what is missing; closing again does nothing.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": cannot close: " + e.getMessage(), e);
        }
        if (headerWritten && written == declared.size()) {
            return;
        }
        deleteQuietly();
        if (!headerWritten) {
            throw new IllegalStateException(out + " was deleted: closed before writeHeader()");
        }
        List<String> missing = declared.subList(written, declared.size()).stream().map(Declared::name).collect(Collectors.toList());
        String listed = missing.size() <= 10 ? String.join(", ", missing)
                : String.join(", ", missing.subList(0, 10)) + " and " + (missing.size() - 10) + " more";
        throw new IllegalStateException(out + " was deleted, being incomplete: " + missing.size() + " declared tensor"
                + (missing.size() == 1 ? " was" : "s were") + " never written: " + listed);
    }

    private GgufWriter put(Runnable put) {
        requireOpen("a metadata put");
        if (headerWritten) {
            throw new IllegalStateException("metadata must be put before writeHeader()");
        }
        put.run();
        return this;
    }

    private void write(ByteBuffer bytes, String what) {
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": cannot write " + what + ": " + e.getMessage(), e);
        }
    }

    private void requireOpen(String call) {
        if (closed) {
            throw new IllegalStateException(call + " after close() of " + out);
        }
    }

    private void deleteQuietly() {
        try {
            Files.deleteIfExists(out);
        } catch (IOException ignored) {
            // the message already says the file is incomplete
        }
    }
}
