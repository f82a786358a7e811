package io.streamseek.gpu.loader.gguf;

import java.util.Collection;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The storage type of a GGUF tensor, by its ggml type id. Quantized types pack {@link #blockSize()}
 * consecutive elements of a row into one block of {@link #typeSize()} bytes, so a row's length (ne0)
 * must be a multiple of the block size. Ids and sizes are those of ggml ({@code GGML_QUANT_SIZES} in
 * gguf-py, but for Q8_1); ids ggml has retired (4, 5, 31-33, 36-38) are absent and read as unknown.
 *
 * <p>Knowing a type is not the same as the engine computing with it: the model loader decides which
 * types it supports (see {@link GgufFile#requireType}).
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    // ggml's block_q8_1 is two halves and 32 quants (36 bytes, static_assert'ed in ggml-common.h);
    // gguf-py's table still says 40, from before d and s became halves. ggml defines the layout.
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17),
    NVFP4(40, 64, 36),
    Q1_0(41, 128, 18);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType type : values()) {
            BY_ID[type.id] = type;
        }
    }

    private final int id;
    private final int blockSize;
    private final int typeSize;
    private final String ggmlName;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        // ggml prints lower case but keeps the K of the k-quants upper case: "q4_K", "iq2_xxs", "bf16".
        String lower = name().toLowerCase(Locale.ROOT);
        this.ggmlName = lower.endsWith("_k") ? lower.substring(0, lower.length() - 1) + "K" : lower;
    }

    /** The id stored in a GGUF tensor info. */
    public int id() {
        return id;
    }

    /** Elements per block: 1 for the plain types, 32, 64, 128 or 256 for the quantized ones. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int typeSize() {
        return typeSize;
    }

    /** The name llama.cpp prints (ggml's {@code type_name}), e.g. {@code q4_K}, {@code bf16}, {@code f32}. */
    public String ggmlName() {
        return ggmlName;
    }

    /** Whether elements are packed in blocks with shared scales, rather than stored one by one. */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** The type with this ggml id, or null for an id this enum does not know (a retired or newer type). */
    public static GgmlType fromId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /**
     * Bytes that {@code elements} elements occupy.
     *
     * @throws IllegalArgumentException if {@code elements} is negative or not a multiple of the block size
     */
    public long byteSize(long elements) {
        if (elements < 0 || elements % blockSize != 0) {
            throw new IllegalArgumentException(elements + " elements of " + ggmlName + " are not a whole number of its "
                    + blockSize + "-element blocks");
        }
        return Math.multiplyExact(elements / blockSize, (long) typeSize);
    }

    /** The ggml names of {@code types}, comma-separated, for messages such as "supported: f32, bf16, q8_0". */
    public static String names(Collection<GgmlType> types) {
        return types.stream().sorted().map(GgmlType::ggmlName).collect(Collectors.joining(", "));
    }
}
