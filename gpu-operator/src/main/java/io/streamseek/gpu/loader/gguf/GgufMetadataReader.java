package io.streamseek.gpu.loader.gguf;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the key/value section: {@code count} entries of key (a GGUF string), value type (uint32) and
 * value. Values are copied into Java objects, so the metadata outlives the mapping it was read from.
 */
final class GgufMetadataReader {

    private GgufMetadataReader() {
    }

    static GgufMetadata read(GgufCursor in, long count) {
        LinkedHashMap<String, GgufValue> values = new LinkedHashMap<>();
        Map<String, Long> offsets = new HashMap<>();
        for (long i = 0; Long.compareUnsigned(i, count) < 0; i++) {
            long at = in.position();
            in.reading("metadata key " + (i + 1) + " of " + Long.toUnsignedString(count));
            String key = in.string();
            in.reading("metadata key " + key);
            Long first = offsets.putIfAbsent(key, at);
            if (first != null) {
                throw in.error("metadata key " + key + " appears twice (at offsets " + first + " and " + at + ")");
            }
            values.put(key, value(in, key));
        }
        return new GgufMetadata(in.file(), values);
    }

    private static GgufValue value(GgufCursor in, String key) {
        GgufValueType type = valueType(in, key, "value type");
        if (type != GgufValueType.ARRAY) {
            return new GgufValue(type, null, scalar(in, type));
        }
        long at = in.position();
        GgufValueType elementType = valueType(in, key, "array element type");
        if (elementType == GgufValueType.ARRAY) {
            throw in.error("metadata key " + key + " is an array of arrays (offset " + at
                    + "), which GGUF readers, llama.cpp included, do not support");
        }
        int length = in.arrayLength(elementType);
        return new GgufValue(type, elementType, array(in, elementType, length));
    }

    private static GgufValueType valueType(GgufCursor in, String key, String what) {
        long at = in.position();
        long id = in.u32();
        GgufValueType type = GgufValueType.fromId(id);
        if (type == null) {
            throw in.error("metadata key " + key + " has " + what + " " + id + " at offset " + at
                    + ", which GGUF does not define (0 UINT8 to 12 FLOAT64)");
        }
        return type;
    }

    private static Object scalar(GgufCursor in, GgufValueType type) {
        return switch (type) {
            case FLOAT32 -> in.f32();
            case FLOAT64 -> in.f64();
            case BOOL -> in.bool();
            case STRING -> in.string();
            default -> in.integer(type);
        };
    }

    /** Numeric arrays stay primitive: a 129k-entry {@code tokenizer.ggml.token_type} is one long[], not 129k boxes. */
    private static Object array(GgufCursor in, GgufValueType elementType, int length) {
        switch (elementType) {
            case FLOAT32 -> {
                float[] a = new float[length];
                for (int i = 0; i < length; i++) {
                    a[i] = in.f32();
                }
                return a;
            }
            case FLOAT64 -> {
                double[] a = new double[length];
                for (int i = 0; i < length; i++) {
                    a[i] = in.f64();
                }
                return a;
            }
            case BOOL -> {
                boolean[] a = new boolean[length];
                for (int i = 0; i < length; i++) {
                    a[i] = in.bool();
                }
                return a;
            }
            case STRING -> {
                String[] a = new String[length];
                for (int i = 0; i < length; i++) {
                    a[i] = in.string();
                }
                return List.of(a);
            }
            default -> {
                long[] a = new long[length];
                for (int i = 0; i < length; i++) {
                    a[i] = in.integer(elementType);
                }
                return a;
            }
        }
    }
}
