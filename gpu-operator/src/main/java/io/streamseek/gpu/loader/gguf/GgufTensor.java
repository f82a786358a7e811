package io.streamseek.gpu.loader.gguf;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;

/**
 * One tensor of a GGUF file, as its tensor info describes it.
 *
 * @param name       the GGUF tensor name, e.g. {@code blk.0.attn_q_a.weight}
 * @param type       its storage type
 * @param dims       ggml order, the reverse of PyTorch's: {@code dims[0]} (ne0) is the contiguous
 *                   one, so a {@code [out, in]} PyTorch weight is {@code [in, out]} here
 * @param offset     absolute file offset of its first byte (the data section start plus the
 *                   offset stored in the file)
 * @param byteLength bytes of its data, {@code type.byteSize(elements())}, excluding alignment padding
 */
public record GgufTensor(String name, GgmlType type, long[] dims, long offset, long byteLength) {

    /** ggml's GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;

    public GgufTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        dims = dims.clone();
    }

    /** A copy of the dimensions, ne0 first. */
    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** Dimension {@code i} (ne_i) without copying the array. */
    public long dim(int i) {
        return dims[i];
    }

    /** How many dimensions the tensor info lists (1 to 4 in practice). */
    public int nDims() {
        return dims.length;
    }

    /** The product of the dimensions. */
    public long elements() {
        long elements = 1;
        for (long d : dims) {
            elements = Math.multiplyExact(elements, d);
        }
        return elements;
    }

    /** The dimensions as llama.cpp logs them, ne0 first: {@code [2048, 102400]}. */
    public String dimsText() {
        return Arrays.toString(dims);
    }

    /**
     * The bytes a tensor of these dims takes, after checking what both the reader and the writer
     * require: at most 4 dims, each at least 1, ne0 a whole number of blocks. {@code error} turns a
     * problem into the caller's exception.
     */
    static long byteLength(String name, GgmlType type, long[] dims, Function<String, RuntimeException> error) {
        String shape = "dims " + Arrays.toString(dims);
        if (dims.length > MAX_DIMS) {
            throw error.apply("tensor " + name + " has " + dims.length + " dimensions; GGUF (ggml) allows at most " + MAX_DIMS);
        }
        long elements = 1;
        for (int d = 0; d < dims.length; d++) {
            if (dims[d] < 1) {
                throw error.apply("tensor " + name + " has " + shape + ": ne" + d + " is " + dims[d]
                        + "; every dimension must be at least 1");
            }
            elements = elements > Long.MAX_VALUE / dims[d] ? -1 : elements * dims[d];
            if (elements < 0) {
                throw error.apply("tensor " + name + " has " + shape + ", more elements than any file holds");
            }
        }
        if ((dims.length > 0 ? dims[0] : 1) % type.blockSize() != 0) {
            throw error.apply("tensor " + name + " is " + type.ggmlName() + " with " + shape + ": ne0 must be a multiple of its "
                    + type.blockSize() + "-element blocks");
        }
        if (elements > Long.MAX_VALUE / type.typeSize()) {
            throw error.apply("tensor " + name + " has " + shape + ", more bytes than any file holds");
        }
        return type.byteSize(elements);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensor t && name.equals(t.name) && type == t.type && Arrays.equals(dims, t.dims)
                && offset == t.offset && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(dims), offset, byteLength);
    }

    @Override
    public String toString() {
        return name + " " + type.ggmlName() + " " + dimsText() + " at " + offset + " (" + byteLength + " bytes)";
    }
}
