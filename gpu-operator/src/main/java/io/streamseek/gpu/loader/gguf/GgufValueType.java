package io.streamseek.gpu.loader.gguf;

/**
 * The type of a GGUF metadata value, by the id stored before it. Scalars have a fixed width; a
 * STRING is a uint64 byte length then UTF-8 bytes; an ARRAY is an element type, a uint64 count and
 * the elements.
 */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, -1),
    ARRAY(9, -1),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int width;

    GgufValueType(int id, int width) {
        this.id = id;
        this.width = width;
    }

    /** The id stored in the file. */
    public int id() {
        return id;
    }

    /**
     * Bytes a value takes: fixed for scalars; for STRING and ARRAY the smallest encoding (an empty
     * string's length, an empty array's element type and count), which bounds how many elements a
     * corrupt count can claim.
     */
    int minBytes() {
        return this == STRING ? 8 : this == ARRAY ? 12 : width;
    }

    /** Whether this is one of the eight integer types, UINT8 to INT64. */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** Whether this is FLOAT32 or FLOAT64. */
    public boolean isReal() {
        return this == FLOAT32 || this == FLOAT64;
    }

    /** The type with this id, or null for an id the GGUF specification does not define. */
    public static GgufValueType fromId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }
}
