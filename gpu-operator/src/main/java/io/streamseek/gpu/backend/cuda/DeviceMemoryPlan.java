package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.attention.MlaAttention;
import io.streamseek.gpu.attention.MlaSpec;
import io.streamseek.gpu.attention.MlaWeights;
import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.model.DecoderLayer;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelSpec;
import io.streamseek.gpu.moe.Mlp;
import io.streamseek.gpu.moe.MoeLayer;
import io.streamseek.gpu.moe.ep.ExpertParallelConfig;
import io.streamseek.gpu.moe.ep.ExpertPlacement;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the CUDA backend will allocate on each GPU, worked out before anything is uploaded, so a
 * model, cache or step size that does not fit is refused with the figures instead of failing
 * half-way through an upload with the driver's out-of-memory code.
 *
 * <p>Device 0 holds everything but routed experts (embedding, attention, dense MLPs, shared
 * experts, norms, {@code lm_head}), the latent cache and the step's activations. A routed expert
 * lives on the device of its primary expert-parallel owner: rank {@code r} on device
 * {@code r mod devices}.
 */
public final class DeviceMemoryPlan {

    /** Left free on every device for the CUDA context, the PTX JIT and allocator slack. */
    static final long RESERVE_BYTES = 512L << 20;

    private final Map<String, Long>[] items;

    /**
     * @param sizes the step's limits, which size the activation buffers
     * @param devices GPUs the expert-parallel ranks map onto (1 or more)
     */
    @SuppressWarnings("unchecked")
    public DeviceMemoryPlan(DeepSeekModel model, ExpertParallelConfig ep, long cacheBytes, StepSizes sizes, int devices) {
        if (devices < 1) {
            throw new IllegalArgumentException("the CUDA backend needs at least one device, got " + devices);
        }
        items = new Map[devices];
        for (int d = 0; d < devices; d++) {
            items[d] = new LinkedHashMap<>();
        }
        ModelSpec spec = model.spec();
        add(0, "embed_tokens", deviceBytes(model.embedTokens()));
        add(0, "lm_head", deviceBytes(model.lmHead()));
        add(0, "norms", 4L * spec.hiddenSize() * (1 + 2L * model.numLayers()));
        MlaSpec mla = model.mlaSpec();
        add(0, "rope tables", 2L * 4 * spec.maxPositions() * (mla.qkRopeHeadDim() / 2));
        boolean[] moeLayers = new boolean[model.numLayers()];
        for (int l = 0; l < model.numLayers(); l++) {
            moeLayers[l] = model.layer(l).isMoe();
        }
        ExpertPlacement placement = new ExpertPlacement(ep, moeLayers, Math.max(1, spec.numRoutedExperts()));
        for (int l = 0; l < model.numLayers(); l++) {
            DecoderLayer layer = model.layer(l);
            add(0, "attention weights", attentionBytes(layer.attention()));
            if (layer.isMoe()) {
                MoeLayer moe = layer.moe();
                add(0, "router gates", deviceBytes(moe.gate()));
                if (moe.sharedExperts() != null) {
                    add(0, "shared experts", mlpBytes(moe.sharedExperts()));
                }
                for (int e = 0; e < moe.experts().length; e++) {
                    // The GPU of the expert's primary owner: a replica is not uploaded twice.
                    add(placement.owners(l, e)[0] % devices, "routed experts", mlpBytes(moe.experts()[e]));
                }
                for (int d = 0; d < devices; d++) {
                    add(d, "expert address tables", 8L * 6 * moe.experts().length);
                }
            } else {
                add(0, "dense MLPs", mlpBytes(layer.denseMlp()));
            }
        }
        add(0, "latent cache", cacheBytes);
        for (Map.Entry<String, Long> buffer : sizes.activations(model.numLayers()).entrySet()) {
            add(0, buffer.getKey(), 4 * Math.max(1, buffer.getValue()));
        }
        if (devices > 1) {
            add(0, "expert outputs of the other GPUs",
                    (devices - 1) * 4L * sizes.maxTokens() * Math.max(1, spec.expertsPerToken()) * spec.hiddenSize());
        }
        for (int d = 1; d < devices; d++) {
            for (Map.Entry<String, Long> buffer : sizes.expertActivations().entrySet()) {
                add(d, buffer.getKey(), 4 * Math.max(1, buffer.getValue()));
            }
        }
    }

    private void add(int device, String item, long bytes) {
        items[device].merge(item, bytes, Long::sum);
    }

    /** Bytes a weight takes on the device: its storage format, except F16 which is widened to f32. */
    static long deviceBytes(Linear w) {
        return w.format() == Linear.Format.F16 ? 4L * w.rows() * w.cols() : w.bytes();
    }

    private static long attentionBytes(MlaAttention attention) {
        MlaWeights w = attention.weights();
        long bytes = deviceBytes(w.qBProj()) + deviceBytes(w.kvAProjWithMqa()) + deviceBytes(w.oProj())
                + deviceBytes(attention.kvBF32()) + 4L * w.kvALayernorm().length;
        if (w.qAProj() != null) {
            bytes += deviceBytes(w.qAProj()) + 4L * w.qALayernorm().length;
        }
        return bytes;
    }

    private static long mlpBytes(Mlp mlp) {
        return deviceBytes(mlp.gateProj()) + deviceBytes(mlp.upProj()) + deviceBytes(mlp.downProj());
    }

    public int devices() {
        return items.length;
    }

    /** Bytes planned on {@code device}. */
    public long total(int device) {
        return items[device].values().stream().mapToLong(Long::longValue).sum();
    }

    /** The planned allocations of {@code device} by purpose, in upload order. */
    public Map<String, Long> items(int device) {
        return Map.copyOf(items[device]);
    }

    /**
     * Refuses the plan when a device cannot hold it next to {@link #RESERVE_BYTES} of headroom,
     * naming the device, the shortfall and the largest items, and what to lower.
     *
     * @param freeBytes free memory of each device as the driver reports it
     */
    public void check(long[] freeBytes, String[] deviceNames) {
        for (int d = 0; d < items.length; d++) {
            long need = total(d) + RESERVE_BYTES;
            if (need > freeBytes[d]) {
                String largest = items[d].entrySet().stream()
                        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .limit(4)
                        .map(e -> e.getKey() + " " + gib(e.getValue()))
                        .reduce((a, b) -> a + ", " + b).orElse("");
                throw new IllegalStateException("GPU " + d + " (" + deviceNames[d] + ") has " + gib(freeBytes[d]) + " free but the model needs "
                        + gib(need) + " there (" + largest + "; plus " + gib(RESERVE_BYTES) + " headroom): lower the latent cache "
                        + "(cacheBytes / streamseek.engine.cache-bytes), the step size (maxTokensPerStep), or spread routed experts over "
                        + "more GPUs with expert parallelism");
            }
        }
    }

    /** One line per device: total and items. */
    public String describe() {
        StringBuilder text = new StringBuilder();
        for (int d = 0; d < items.length; d++) {
            text.append(String.format(Locale.ROOT, "GPU %d: %s (", d, gib(total(d))));
            items[d].forEach((k, v) -> text.append(k).append(' ').append(gib(v)).append(", "));
            text.setLength(text.length() - 2);
            text.append(")\n");
        }
        return text.toString().strip();
    }

    static String gib(long bytes) {
        return bytes >= (1L << 30) ? String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }

    @Override
    public String toString() {
        return describe() + " " + Arrays.toString(items);
    }
}
