package io.streamseek.gpu.loader.gguf;

import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.backend.cpu.ScalarDot;
import io.streamseek.gpu.config.DeepSeekConfig;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.CheckpointException;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * A {@code deepseek2} GGUF file (llama.cpp's and Ollama's format) as a {@link Checkpoint}: the
 * loader asks by Hugging Face name ({@link TensorNames} maps it), GGUF's reversed dimension order
 * is checked against the config's shape, and weights stay in their block quantization.
 *
 * <p>Two MLA layouts are found in published files: the older {@code attn_kv_b} (Hugging Face's
 * {@code kv_b_proj} as it is) and the newer split {@code attn_k_b} {@code [n_head, kv_lora_rank,
 * qk_nope]} (the key half, transposed per head) + {@code attn_v_b} {@code [n_head, v_head_dim,
 * kv_lora_rank]}. For the split one, the absorbed decode path reads the halves per head as stored
 * ({@link #kvBHeads}), and {@code kv_b_proj} is put back together in f32 from their dequantized
 * values for the naive (prefill) path.
 */
public final class GgufCheckpoint implements Checkpoint {

    /** The tensor types the CPU kernels run ({@link #format(GgmlType)} has a storage format for them); others are refused at open. */
    static final Set<GgmlType> SUPPORTED = EnumSet.copyOf(Arrays.stream(GgmlType.values()).filter(t -> format(t) != null).toList());

    private final GgufFile file;
    private final DeepSeekConfig config;

    private GgufCheckpoint(GgufFile file, DeepSeekConfig config) {
        this.file = file;
        this.config = config;
    }

    public static GgufCheckpoint open(Path path) {
        GgufFile file = GgufFile.open(path);
        try {
            GgufCheckpoint checkpoint = new GgufCheckpoint(file, Deepseek2Metadata.toConfig(file));
            checkpoint.refuseUnsupportedTypes();
            return checkpoint;
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Every tensor is checked at open, so that a file the kernels cannot run fails before minutes of loading. */
    private void refuseUnsupportedTypes() {
        for (GgufTensor t : file.tensors().values()) {
            file.requireType(t, SUPPORTED);
        }
    }

    @Override
    public DeepSeekConfig config() {
        return config;
    }

    @Override
    public Path path() {
        return file.path();
    }

    /** What the tensors take once loaded: block formats are repacked for the kernels (a Q4_K_M file: about 1.28× its size). */
    @Override
    public long tensorBytes() {
        long bytes = 0;
        for (GgufTensor t : file.tensors().values()) {
            Linear.Format format = format(t.type());
            long cols = t.dims()[0];
            bytes += format == null || t.elements() % Math.max(1, cols) != 0 ? t.byteLength() : Linear.heldBytes(format, t.elements() / cols, cols);
        }
        return bytes;
    }

    @Override
    public Linear linear(String name, int rows, int cols, String why) {
        TensorNames.Mapped mapped = mapped(name);
        if (name.endsWith("kv_b_proj.weight") && file.tensor(mapped.ggufName()) == null) {
            return kvBFromSplit(name, rows, cols);
        }
        if (mapped.expert() < 0) {
            GgufTensor t = tensor(name, mapped.ggufName(), why, cols, rows);
            return Linear.of(format(t), rows, cols, file.data(t));
        }
        int experts = config.nRoutedExperts();
        GgufTensor t = tensor(name, mapped.ggufName(), why + ", n_routed_experts", cols, rows, experts);
        // One expert at a time: a stacked tensor of a large model (DeepSeek-V3: 2.1 GB in Q4_K) exceeds one buffer.
        long bytes = t.byteLength() / experts;
        return Linear.of(format(t), rows, cols, file.data(t, mapped.expert() * bytes, Math.toIntExact(bytes)));
    }

    /** {@code kv_b_proj} {@code [heads × (nope + v), kv_lora_rank]} from {@code attn_k_b} and {@code attn_v_b}. */
    private Linear kvBFromSplit(String name, int rows, int cols) {
        int layer = TensorNames.layerOf(name);
        int heads = config.numAttentionHeads();
        int nope = config.qkNopeHeadDim();
        int v = config.vHeadDim();
        int lora = config.kvLoraRank();
        if (rows != heads * (nope + v) || cols != lora) {
            throw new IllegalArgumentException("kv_b_proj is [heads × (nope + v), kv_lora_rank], not [" + rows + ", " + cols + "]");
        }
        GgufTensor kT = tensor(name, TensorNames.kB(layer), "qk_nope_head_dim, kv_lora_rank, num_attention_heads", nope, lora, heads);
        GgufTensor vT = tensor(name, TensorNames.vB(layer), "kv_lora_rank, v_head_dim, num_attention_heads", lora, v, heads);
        Linear k = Linear.of(format(kT), heads * lora, nope, file.data(kT));   // row h·lora + c: W_k[h]ᵀ[c, :]
        Linear vb = Linear.of(format(vT), heads * v, lora, file.data(vT));     // row h·v + j: W_v[h][j, :]
        float[] kvB = new float[rows * cols];
        for (int h = 0; h < heads; h++) {
            for (int d = 0; d < nope; d++) {
                for (int c = 0; c < lora; c++) {
                    kvB[(h * (nope + v) + d) * lora + c] = k.get(h * lora + c, d);
                }
            }
            for (int j = 0; j < v; j++) {
                for (int c = 0; c < lora; c++) {
                    kvB[(h * (nope + v) + nope + j) * lora + c] = vb.get(h * v + j, c);
                }
            }
        }
        return Linear.ofFloats(rows, cols, kvB);
    }

    @Override
    public Linear[][] kvBHeads(int layer) {
        GgufTensor kT = file.tensor(TensorNames.kB(layer));
        GgufTensor vT = file.tensor(TensorNames.vB(layer));
        if (kT == null || vT == null) {
            return null;
        }
        int heads = config.numAttentionHeads();
        int nope = config.qkNopeHeadDim();
        int v = config.vHeadDim();
        int lora = config.kvLoraRank();
        String name = "model.layers." + layer + ".self_attn.kv_b_proj.weight";
        tensor(name, kT.name(), "qk_nope_head_dim, kv_lora_rank, num_attention_heads", nope, lora, heads);
        tensor(name, vT.name(), "kv_lora_rank, v_head_dim, num_attention_heads", lora, v, heads);
        Linear[][] halves = new Linear[2][heads];
        long kBytes = kT.byteLength() / heads;
        long vBytes = vT.byteLength() / heads;
        for (int h = 0; h < heads; h++) {
            halves[0][h] = Linear.of(format(kT), lora, nope, file.data(kT, h * kBytes, Math.toIntExact(kBytes)));
            halves[1][h] = Linear.of(format(vT), v, lora, file.data(vT, h * vBytes, Math.toIntExact(vBytes)));
        }
        return halves;
    }

    @Override
    public float[] vector(String name, int n, long... shape) {
        TensorNames.Mapped mapped = mapped(name);
        long[] dims = shape.length == 0 ? new long[] {n} : reversed(shape);
        GgufTensor t = tensor(name, mapped.ggufName(), "", dims);
        ByteBuffer data = file.data(t);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = switch (t.type()) {
                case F32 -> data.getFloat(4 * i);
                case F16 -> ScalarDot.f16ToFloat(data.getShort(2 * i));
                case BF16 -> ScalarDot.bf16ToFloat(data.getShort(2 * i));
                default -> throw new CheckpointException(name() + ": tensor " + t.name() + " has type " + t.type().ggmlName()
                        + "; a norm weight or bias must be f32, f16 or bf16");
            };
        }
        return values;
    }

    private TensorNames.Mapped mapped(String name) {
        TensorNames.Mapped mapped = TensorNames.toGguf(name);
        if (mapped == null) {
            throw new IllegalArgumentException("no GGUF name for the Hugging Face tensor " + name);
        }
        return mapped;
    }

    /** The tensor, checked to have the GGUF dims (innermost first) the config implies. */
    private GgufTensor tensor(String hfName, String ggufName, String why, long... dims) {
        GgufTensor t = file.tensor(ggufName);
        if (t == null) {
            throw new CheckpointException(name() + ": tensor " + ggufName + " (Hugging Face " + hfName + ") is missing");
        }
        if (!Arrays.equals(t.dims(), dims)) {
            throw new CheckpointException(name() + ": tensor " + ggufName + " has dims " + t.dimsText() + " but the metadata implies "
                    + Arrays.toString(dims) + (why.isEmpty() ? "" : " (" + why + ", innermost first)"));
        }
        return t;
    }

    /** Never null: {@link #open} refused every type without a format. */
    private static Linear.Format format(GgufTensor t) {
        return format(t.type());
    }

    /** The CPU storage format of a GGUF tensor type; null for the types the kernels do not run. */
    public static Linear.Format format(GgmlType type) {
        return switch (type) {
            case F32 -> Linear.Format.F32;
            case F16 -> Linear.Format.F16;
            case BF16 -> Linear.Format.BF16;
            case Q8_0 -> Linear.Format.Q8_0;
            case Q4_0 -> Linear.Format.Q4_0;
            case Q5_0 -> Linear.Format.Q5_0;
            case Q4_K -> Linear.Format.Q4_K;
            case Q5_K -> Linear.Format.Q5_K;
            case Q6_K -> Linear.Format.Q6_K;
            default -> null;
        };
    }

    private static long[] reversed(long[] shape) {
        long[] r = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            r[i] = shape[shape.length - 1 - i];
        }
        return r;
    }

    private String name() {
        return file.path().getFileName().toString();
    }

    @Override
    public void close() {
        file.close();
    }
}
