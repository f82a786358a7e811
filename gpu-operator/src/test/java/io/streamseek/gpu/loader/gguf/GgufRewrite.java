package io.streamseek.gpu.loader.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/** Copies of a GGUF file with one tensor changed, for tests of what the loader refuses. */
final class GgufRewrite {

    private GgufRewrite() {
    }

    /** {@code tensor} declared as {@code type} (zeros of that type's size). */
    static void retype(Path source, Path target, String tensor, GgmlType type) {
        copy(source, target, t -> t.name().equals(tensor) ? new GgufTensor(t.name(), type, t.dims(), 0, type.byteSize(t.elements())) : t);
    }

    /** {@code tensor} with other dims (its data cut or zero-padded to fit). */
    static void reshape(Path source, Path target, String tensor, long... dims) {
        copy(source, target, t -> {
            if (!t.name().equals(tensor)) {
                return t;
            }
            long elements = 1;
            for (long d : dims) {
                elements *= d;
            }
            return new GgufTensor(t.name(), t.type(), dims, 0, t.type().byteSize(elements));
        });
    }

    /** Without {@code tensor}. */
    static void drop(Path source, Path target, String tensor) {
        copy(source, target, t -> t.name().equals(tensor) ? null : t);
    }

    private static void copy(Path source, Path target, Function<GgufTensor, GgufTensor> change) {
        try (GgufFile in = GgufFile.open(source); GgufWriter out = new GgufWriter(target)) {
            GgufMetadata m = in.metadata();
            for (String key : m.keys()) {
                Object value = m.raw(key);
                switch (m.type(key)) {
                    case STRING -> out.putString(key, (String) value);
                    case UINT32 -> out.putUint32(key, ((Number) value).longValue());
                    case INT32 -> out.putInt32(key, ((Number) value).intValue());
                    case FLOAT32 -> out.putFloat32(key, ((Number) value).floatValue());
                    case BOOL -> out.putBool(key, (Boolean) value);
                    case ARRAY -> {
                        if (key.equals("tokenizer.ggml.token_type")) {
                            out.putInt32Array(key, m.ints(key));
                        } else {
                            out.putStringArray(key, m.strings(key));
                        }
                    }
                    default -> throw new IllegalArgumentException("no copy for " + key + " of type " + m.type(key));
                }
            }
            List<GgufTensor> tensors = in.tensors().values().stream().map(t -> {
                GgufTensor changed = change.apply(t);
                return changed == null ? null : new GgufTensor[] {t, changed};
            }).filter(java.util.Objects::nonNull).map(pair -> pair[1]).toList();
            for (GgufTensor t : tensors) {
                out.addTensor(t.name(), t.type(), t.dims());
            }
            out.writeHeader();
            for (GgufTensor t : tensors) {
                GgufTensor original = in.tensor(t.name());
                ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(t.byteLength())).order(ByteOrder.LITTLE_ENDIAN);
                if (original.type() == t.type()) {
                    ByteBuffer from = in.data(original).duplicate();
                    from.limit(Math.min(from.limit(), data.capacity()));
                    data.put(from);
                }
                out.writeTensor(t.name(), data.clear());
            }
        }
    }
}
