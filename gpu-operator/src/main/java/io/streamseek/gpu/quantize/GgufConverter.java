package io.streamseek.gpu.quantize;

import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.config.DeepSeekConfig;
import io.streamseek.gpu.loader.SafetensorsCheckpoint;
import io.streamseek.gpu.loader.gguf.Deepseek2Metadata;
import io.streamseek.gpu.loader.gguf.GgufCheckpoint;
import io.streamseek.gpu.loader.gguf.GgmlType;
import io.streamseek.gpu.tokenizer.GgufTokenizerMetadata;
import io.streamseek.gpu.loader.gguf.GgufWriter;
import io.streamseek.gpu.tokenizer.GgufVocab;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Converts a Hugging Face DeepSeek-V2/V3 checkpoint into a {@code deepseek2} GGUF file that
 * llama.cpp loads: the architecture's metadata, the tokenizer, and every tensor in the target type,
 * streamed one tensor at a time (the source is memory-mapped; a tensor's output is the most held).
 *
 * <p>Which tensors keep a wider type, as llama.cpp's converter does: norms and biases stay f32, the
 * router ({@code ffn_gate_inp}) stays f32 (a few rows that decide every expert choice), and a
 * weight whose rows are not a whole number of blocks of the target type falls back to f16.
 */
public final class GgufConverter {

    /** What {@code quantize --type} writes. */
    public enum Target {
        Q8_0(GgmlType.Q8_0, 7), Q4_0(GgmlType.Q4_0, 2), BF16(GgmlType.BF16, 32), F16(GgmlType.F16, 1);

        final GgmlType type;
        /** llama.cpp's {@code general.file_type} (LLAMA_FTYPE_MOSTLY_*). */
        final int fileType;

        Target(GgmlType type, int fileType) {
            this.type = type;
            this.fileType = fileType;
        }

        public static Target fromName(String name) {
            for (Target t : values()) {
                if (t.name().toLowerCase(Locale.ROOT).equals(name)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("--type must be q8_0, q4_0, bf16 or f16, was '" + name + "'");
        }
    }

    private record Planned(String name, GgmlType type, long[] dims, Supplier<TensorRows> source) {
        long bytes() {
            long elements = 1;
            for (long d : dims) {
                elements *= d;
            }
            return type.byteSize(elements);
        }
    }

    private final SafetensorsCheckpoint checkpoint;
    private final DeepSeekConfig c;
    private final Target target;
    private final List<Planned> plan = new ArrayList<>();

    private GgufConverter(SafetensorsCheckpoint checkpoint, Target target) {
        this.checkpoint = checkpoint;
        this.c = checkpoint.config();
        this.target = target;
        planTensors();
    }

    /** Converts {@code hfDir} into {@code out}; progress lines go to {@code progress} (may be null). */
    public static void convert(Path hfDir, Path out, Target target, PrintStream progress) throws IOException {
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(hfDir)) {
            new GgufConverter(checkpoint, target).write(hfDir, out, progress);
        }
    }

    private void write(Path hfDir, Path out, PrintStream progress) throws IOException {
        GgufVocab vocab = GgufVocab.fromTokenizerDir(hfDir);
        Path partial = out.resolveSibling(out.getFileName() + ".partial");
        long total = plan.stream().mapToLong(Planned::bytes).sum();
        try (GgufWriter w = new GgufWriter(partial)) {
            w.putString("general.type", "model");
            w.putString("general.name", hfDir.toAbsolutePath().normalize().getFileName().toString());
            w.putUint32("general.quantization_version", 2);
            w.putUint32("general.file_type", target.fileType);
            Deepseek2Metadata.write(c, w);
            GgufTokenizerMetadata.write(vocab, w);
            for (Planned p : plan) {
                w.addTensor(p.name(), p.type(), p.dims());
            }
            w.writeHeader();
            long written = 0;
            long started = System.nanoTime();
            int done = 0;
            for (Planned p : plan) {
                w.writeTensor(p.name(), encode(p));
                written += p.bytes();
                done++;
                if (progress != null) {
                    progress(progress, p, done, plan.size(), written, total, started);
                }
            }
        }
        Files.move(partial, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        if (progress != null) {
            progress.printf(Locale.ROOT, "quantize: wrote %s (%d tensors, %.1f MB)%n", out, plan.size(), Files.size(out) / 1e6);
        }
    }

    private static void progress(PrintStream out, Planned p, int done, int tensors, long written, long total, long started) {
        int width = 30;
        int filled = (int) (width * written / Math.max(1, total));
        double seconds = (System.nanoTime() - started) / 1e9;
        double eta = written == 0 ? 0 : seconds * (total - written) / written;
        out.printf(Locale.ROOT, "  [%s%s] %5.1f%% %4d/%d %-28s %-5s %8.1f MB  %.0f s left%n", "#".repeat(filled), " ".repeat(width - filled),
                100.0 * written / Math.max(1, total), done, tensors, p.name(), p.type().ggmlName(), p.bytes() / 1e6, eta);
    }

    private ByteBuffer encode(Planned p) {
        TensorRows rows = p.source().get();
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(p.bytes())).order(ByteOrder.LITTLE_ENDIAN);
        float[] row = new float[rows.cols()];
        for (int r = 0; r < rows.rows(); r++) {
            rows.row(r, row);
            BlockQuantizer.quantizeRow(GgufCheckpoint.format(p.type()), row, 0, row.length, out);
        }
        return out.flip();
    }

    private void planTensors() {
        int hidden = c.hiddenSize();
        weight("token_embd.weight", "model.embed_tokens.weight", c.vocabSize(), hidden);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String hf = "model.layers." + i + ".";
            String blk = "blk." + i + ".";
            norm(blk + "attn_norm.weight", hf + "input_layernorm.weight", hidden);
            int heads = c.numAttentionHeads();
            int qOut = heads * c.qkHeadDim();
            if (c.qLoraRank() > 0) {
                weight(blk + "attn_q_a.weight", hf + "self_attn.q_a_proj.weight", c.qLoraRank(), hidden);
                norm(blk + "attn_q_a_norm.weight", hf + "self_attn.q_a_layernorm.weight", c.qLoraRank());
                weight(blk + "attn_q_b.weight", hf + "self_attn.q_b_proj.weight", qOut, c.qLoraRank());
            } else {
                weight(blk + "attn_q.weight", hf + "self_attn.q_proj.weight", qOut, hidden);
            }
            weight(blk + "attn_kv_a_mqa.weight", hf + "self_attn.kv_a_proj_with_mqa.weight", c.kvLoraRank() + c.qkRopeHeadDim(), hidden);
            norm(blk + "attn_kv_a_norm.weight", hf + "self_attn.kv_a_layernorm.weight", c.kvLoraRank());
            int nope = c.qkNopeHeadDim();
            int v = c.vHeadDim();
            String kvB = hf + "self_attn.kv_b_proj.weight";
            plan3d(blk + "attn_k_b.weight", nope, c.kvLoraRank(), heads,
                    () -> TensorRows.keyHalf(checkpoint.linear(kvB, heads * (nope + v), c.kvLoraRank(), "kv_b_proj"), heads, nope, v));
            plan3d(blk + "attn_v_b.weight", c.kvLoraRank(), v, heads,
                    () -> TensorRows.valueHalf(checkpoint.linear(kvB, heads * (nope + v), c.kvLoraRank(), "kv_b_proj"), heads, nope, v));
            weight(blk + "attn_output.weight", hf + "self_attn.o_proj.weight", hidden, heads * v);
            if (c.sparseAttention() != null) {
                int indexHeads = c.sparseAttention().indexNHeads();
                int indexDim = c.sparseAttention().indexHeadDim();
                String ix = hf + "self_attn.indexer.";
                weight(blk + "indexer.attn_q_b.weight", ix + "wq_b.weight", indexHeads * indexDim, c.qLoraRank());
                weight(blk + "indexer.attn_k.weight", ix + "wk.weight", indexDim, hidden);
                norm(blk + "indexer.k_norm.weight", ix + "k_norm.weight", indexDim);
                norm(blk + "indexer.k_norm.bias", ix + "k_norm.bias", indexDim);
                // Its per-head weights stay f32 (as the router's): a handful of rows that weigh every score.
                add(blk + "indexer.proj.weight", GgmlType.F32, new long[] {hidden, indexHeads}, () -> linear(ix + "weights_proj.weight", indexHeads, hidden));
            }
            norm(blk + "ffn_norm.weight", hf + "post_attention_layernorm.weight", hidden);
            if (c.isMoeLayer(i)) {
                int n = c.nRoutedExperts();
                int inter = c.moeIntermediateSize();
                add(blk + "ffn_gate_inp.weight", GgmlType.F32, new long[] {hidden, n}, () -> linear(hf + "mlp.gate.weight", n, hidden));
                if (c.topkMethod().equals("noaux_tc")) {
                    add(blk + "exp_probs_b.bias", GgmlType.F32, new long[] {n},
                            () -> TensorRows.of(checkpoint.vector(hf + "mlp.gate.e_score_correction_bias", n)));
                }
                experts(blk + "ffn_gate_exps.weight", hf, "gate_proj", inter, hidden);
                experts(blk + "ffn_up_exps.weight", hf, "up_proj", inter, hidden);
                experts(blk + "ffn_down_exps.weight", hf, "down_proj", hidden, inter);
                if (c.nSharedExperts() > 0) {
                    int shared = inter * c.nSharedExperts();
                    weight(blk + "ffn_gate_shexp.weight", hf + "mlp.shared_experts.gate_proj.weight", shared, hidden);
                    weight(blk + "ffn_up_shexp.weight", hf + "mlp.shared_experts.up_proj.weight", shared, hidden);
                    weight(blk + "ffn_down_shexp.weight", hf + "mlp.shared_experts.down_proj.weight", hidden, shared);
                }
            } else {
                int inter = c.intermediateSize();
                weight(blk + "ffn_gate.weight", hf + "mlp.gate_proj.weight", inter, hidden);
                weight(blk + "ffn_up.weight", hf + "mlp.up_proj.weight", inter, hidden);
                weight(blk + "ffn_down.weight", hf + "mlp.down_proj.weight", hidden, inter);
            }
        }
        norm("output_norm.weight", "model.norm.weight", hidden);
        if (!c.tieWordEmbeddings()) {
            weight("output.weight", "lm_head.weight", c.vocabSize(), hidden);
        }
    }

    /** A 2-D weight {@code [rows, cols]} in the target type (GGUF dims {@code [cols, rows]}). */
    private void weight(String name, String hfName, int rows, int cols) {
        add(name, typeFor(cols), new long[] {cols, rows}, () -> linear(hfName, rows, cols));
    }

    private void plan3d(String name, long cols, long rows, long heads, Supplier<TensorRows> source) {
        add(name, typeFor(cols), new long[] {cols, rows, heads}, source);
    }

    private void experts(String name, String hf, String proj, int rows, int cols) {
        int n = c.nRoutedExperts();
        add(name, typeFor(cols), new long[] {cols, rows, n}, () -> {
            Linear[] parts = new Linear[n];
            for (int e = 0; e < n; e++) {
                parts[e] = checkpoint.linear(hf + "mlp.experts." + e + "." + proj + ".weight", rows, cols, "moe_intermediate_size, hidden_size");
            }
            return TensorRows.stacked(parts);
        });
    }

    private void norm(String name, String hfName, int n) {
        add(name, GgmlType.F32, new long[] {n}, () -> TensorRows.of(checkpoint.vector(hfName, n)));
    }

    private void add(String name, GgmlType type, long[] dims, Supplier<TensorRows> source) {
        plan.add(new Planned(name, type, dims, source));
    }

    private GgmlType typeFor(long cols) {
        return cols % target.type.blockSize() == 0 ? target.type : GgmlType.F16;
    }

    private TensorRows linear(String name, int rows, int cols) {
        return TensorRows.of(checkpoint.linear(name, rows, cols, "config.json"));
    }
}
