package io.streamseek.gpu.loader.gguf;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * GgufWriter's metadata, kept in insertion order, each value encoded (type id, then value) as it is
 * put, so a bad value fails at the put that names it rather than at writeHeader.
 */
final class GgufKvSection {

    private final Map<String, byte[]> entries = new LinkedHashMap<>();

    int size() {
        return entries.size();
    }

    /** Appends every entry: key, value type, value. */
    void writeTo(GgufBytes out) {
        entries.forEach((key, value) -> out.string(key).bytes(value));
    }

    void putString(String key, String v) {
        requireNonNull(key, v);
        put(key, GgufValueType.STRING, out -> out.string(v));
    }

    void putInteger(String key, GgufValueType type, long v) {
        checkRange(key, type, -1, v);
        put(key, type, out -> integer(out, type, v));
    }

    void putFloat32(String key, float v) {
        put(key, GgufValueType.FLOAT32, out -> out.f32(v));
    }

    void putFloat64(String key, double v) {
        put(key, GgufValueType.FLOAT64, out -> out.f64(v));
    }

    void putBool(String key, boolean v) {
        put(key, GgufValueType.BOOL, out -> out.u8(v ? 1 : 0));
    }

    void putStringArray(String key, List<String> values) {
        requireNonNull(key, values);
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) == null) {
                throw new IllegalArgumentException("metadata key " + key + ": element " + i + " is null");
            }
        }
        putArray(key, GgufValueType.STRING, values.size(), out -> values.forEach(out::string));
    }

    void putIntegerArray(String key, GgufValueType elementType, long[] values) {
        requireNonNull(key, values);
        if (!elementType.isInteger()) {
            throw new IllegalArgumentException("metadata key " + key + ": " + elementType + " is not an integer type");
        }
        for (int i = 0; i < values.length; i++) {
            checkRange(key, elementType, i, values[i]);
        }
        putArray(key, elementType, values.length, out -> {
            for (long v : values) {
                integer(out, elementType, v);
            }
        });
    }

    void putFloat32Array(String key, float[] values) {
        requireNonNull(key, values);
        putArray(key, GgufValueType.FLOAT32, values.length, out -> {
            for (float v : values) {
                out.f32(v);
            }
        });
    }

    void putFloat64Array(String key, double[] values) {
        requireNonNull(key, values);
        putArray(key, GgufValueType.FLOAT64, values.length, out -> {
            for (double v : values) {
                out.f64(v);
            }
        });
    }

    void putBoolArray(String key, boolean[] values) {
        requireNonNull(key, values);
        putArray(key, GgufValueType.BOOL, values.length, out -> {
            for (boolean v : values) {
                out.u8(v ? 1 : 0);
            }
        });
    }

    /** For the writer's own {@code general.alignment}, which callers may not put. */
    void putAlignment(long alignment) {
        entries.put(GgufHeader.ALIGNMENT_KEY, encode(GgufValueType.UINT32, out -> out.u32(alignment)));
    }

    private void putArray(String key, GgufValueType elementType, int length, Consumer<GgufBytes> elements) {
        put(key, GgufValueType.ARRAY, out -> {
            out.u32(elementType.id()).u64(length);
            elements.accept(out);
        });
    }

    private void put(String key, GgufValueType type, Consumer<GgufBytes> value) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("a metadata key must be a non-empty string");
        }
        if (key.equals(GgufHeader.ALIGNMENT_KEY)) {
            throw new IllegalArgumentException(key + " is written by GgufWriter itself: pass the alignment to"
                    + " new GgufWriter(path, alignment) instead");
        }
        if (entries.containsKey(key)) {
            throw new IllegalArgumentException("metadata key " + key + " was already put; every key appears once in a GGUF file");
        }
        entries.put(key, encode(type, value));
    }

    private static byte[] encode(GgufValueType type, Consumer<GgufBytes> value) {
        GgufBytes out = new GgufBytes().u32(type.id());
        value.accept(out);
        return out.toArray();
    }

    private static void integer(GgufBytes out, GgufValueType type, long v) {
        switch (type.minBytes()) {
            case 1 -> out.u8((int) v);
            case 2 -> out.u16((int) v);
            case 4 -> out.u32(v);
            default -> out.u64(v);
        }
    }

    /** {@code index} is the array element, or -1 for a scalar. */
    private static void checkRange(String key, GgufValueType type, int index, long v) {
        long min = switch (type) {
            case INT8 -> Byte.MIN_VALUE;
            case INT16 -> Short.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            case INT64 -> Long.MIN_VALUE;
            default -> 0;
        };
        long max = switch (type) {
            case UINT8 -> 0xFFL;
            case INT8 -> Byte.MAX_VALUE;
            case UINT16 -> 0xFFFFL;
            case INT16 -> Short.MAX_VALUE;
            case UINT32 -> 0xFFFF_FFFFL;
            case INT32 -> Integer.MAX_VALUE;
            default -> Long.MAX_VALUE;
        };
        if (v < min || v > max) {
            throw new IllegalArgumentException("metadata key " + key + (index < 0 ? "" : " element " + index) + ": " + v
                    + " is outside the " + type + " range " + min + " to " + max);
        }
    }

    private static void requireNonNull(String key, Object value) {
        if (value == null) {
            throw new IllegalArgumentException("metadata key " + key + ": the value is null");
        }
    }
}
