package io.streamseek.gpu.loader.gguf;

import io.streamseek.gpu.loader.CheckpointException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The key/value section of a GGUF file, typed. Getters are lenient where no information is lost
 * (any integer type widens to {@code long}, a FLOAT64 array narrows to {@code float[]}) and strict
 * otherwise: every failure names the file, the key, the type found and the type expected. A
 * fallback is used only when the key is absent, never when it is present with the wrong type.
 */
public final class GgufMetadata {

    private final String file;
    private final Map<String, GgufValue> values;

    /** {@code file} names the source in messages; {@code values} is in file order. */
    GgufMetadata(String file, LinkedHashMap<String, GgufValue> values) {
        this.file = file;
        this.values = Collections.unmodifiableMap(values);
    }

    /** The keys, in file order. */
    public Set<String> keys() {
        return values.keySet();
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** A STRING value. */
    public String string(String key) {
        return (String) expect(key, GgufValueType.STRING).value();
    }

    public String string(String key, String fallback) {
        return has(key) ? string(key) : fallback;
    }

    /** A value of any of the eight integer types, widened; a UINT64 above {@code Long.MAX_VALUE} is an error. */
    public long integer(String key) {
        GgufValue v = get(key);
        if (!v.type().isInteger()) {
            throw wrongType(key, v, "an integer type (UINT8 to INT64)");
        }
        long value = (Long) v.value();
        if (v.type() == GgufValueType.UINT64 && value < 0) {
            throw error("metadata key " + key + " is UINT64 " + Long.toUnsignedString(value)
                    + ", above the largest value this reader takes (" + Long.MAX_VALUE + ")");
        }
        return value;
    }

    public long integer(String key, long fallback) {
        return has(key) ? integer(key) : fallback;
    }

    /** A FLOAT32 or FLOAT64 value; an integer value is accepted too, since writers store e.g. 1 for 1.0. */
    public double real(String key) {
        GgufValue v = get(key);
        if (v.type().isInteger()) {
            return integer(key);
        }
        if (!v.type().isReal()) {
            throw wrongType(key, v, "FLOAT32 or FLOAT64");
        }
        return ((Number) v.value()).doubleValue();
    }

    public double real(String key, double fallback) {
        return has(key) ? real(key) : fallback;
    }

    public boolean bool(String key) {
        return (Boolean) expect(key, GgufValueType.BOOL).value();
    }

    public boolean bool(String key, boolean fallback) {
        return has(key) ? bool(key) : fallback;
    }

    /** An ARRAY of STRING, unmodifiable (e.g. {@code tokenizer.ggml.tokens}). */
    @SuppressWarnings("unchecked")
    public List<String> strings(String key) {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.ARRAY || v.elementType() != GgufValueType.STRING) {
            throw wrongType(key, v, "ARRAY of STRING");
        }
        return (List<String>) v.value();
    }

    /** An ARRAY of any integer type, each element checked to fit an {@code int}. */
    public int[] ints(String key) {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.ARRAY || !v.elementType().isInteger()) {
            throw wrongType(key, v, "ARRAY of an integer type");
        }
        long[] stored = (long[]) v.value();
        int[] out = new int[stored.length];
        for (int i = 0; i < stored.length; i++) {
            long e = stored[i];
            boolean wrapped = v.elementType() == GgufValueType.UINT64 && e < 0;
            if (wrapped || e != (int) e) {
                throw error("metadata key " + key + " element " + i + " is " + (wrapped ? Long.toUnsignedString(e) : e)
                        + " (" + v.elementType() + "), outside the int range");
            }
            out[i] = (int) e;
        }
        return out;
    }

    /** An ARRAY of FLOAT32 or FLOAT64 (FLOAT64 elements are rounded to float). */
    public float[] floats(String key) {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.ARRAY || !v.elementType().isReal()) {
            throw wrongType(key, v, "ARRAY of FLOAT32 or FLOAT64");
        }
        if (v.value() instanceof float[] f) {
            return f.clone();
        }
        double[] d = (double[]) v.value();
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (float) d[i];
        }
        return out;
    }

    /**
     * The value as stored, for tools that print metadata: a {@code Long} for every integer type
     * (a UINT64 above {@code Long.MAX_VALUE} as its two's-complement bits; print it with
     * {@link Long#toUnsignedString(long)}), {@code Float}, {@code Double}, {@code Boolean},
     * {@code String}; an ARRAY as {@code long[]} (integer elements, same rule), {@code float[]},
     * {@code double[]}, {@code boolean[]} or an unmodifiable {@code List<String>}. Arrays are copies.
     */
    public Object raw(String key) {
        Object value = get(key).value();
        if (value instanceof long[] a) {
            return a.clone();
        } else if (value instanceof float[] a) {
            return a.clone();
        } else if (value instanceof double[] a) {
            return a.clone();
        } else if (value instanceof boolean[] a) {
            return a.clone();
        }
        return value;
    }

    /** The stored type of the value. */
    public GgufValueType type(String key) {
        return get(key).type();
    }

    /** For an ARRAY, the type of its elements; null for any other value. */
    public GgufValueType elementType(String key) {
        return get(key).elementType();
    }

    /** An ARRAY's element count (e.g. the vocabulary size from {@code tokenizer.ggml.tokens}) without copying it. */
    public int arrayLength(String key) {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.ARRAY) {
            throw wrongType(key, v, "ARRAY");
        }
        return v.value() instanceof List<?> list ? list.size() : java.lang.reflect.Array.getLength(v.value());
    }

    @Override
    public String toString() {
        return values.size() + " metadata keys of " + file;
    }

    private GgufValue get(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            throw error("metadata key " + key + " is missing");
        }
        return v;
    }

    private GgufValue expect(String key, GgufValueType type) {
        GgufValue v = get(key);
        if (v.type() != type) {
            throw wrongType(key, v, type.name());
        }
        return v;
    }

    private CheckpointException wrongType(String key, GgufValue v, String expected) {
        return error("metadata key " + key + " has type " + v.typeText() + "; expected " + expected);
    }

    private CheckpointException error(String message) {
        return new CheckpointException(file + ": " + message);
    }
}
