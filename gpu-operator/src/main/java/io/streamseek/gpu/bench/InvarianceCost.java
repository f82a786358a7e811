package io.streamseek.gpu.bench;

import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.backend.cpu.Linear.Layout;
import io.streamseek.gpu.config.DeepSeekConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What batch invariance costs the CPU backend, measured. Each bf16 weight keeps one layout, and
 * so one arithmetic per output, for every batch size ({@link Layout#forColumns}); that is what
 * makes a token's logits independent of its batch. An engine free to give up invariance could
 * instead pick, for every product of every step, whichever layout is faster for the number of
 * tokens at hand. This times both layouts on the model's weight shapes, at the token counts a
 * decode step at a given concurrency hands them, and compares the step time of the fixed choice
 * with that of the best choice per product.
 *
 * <p>Single-threaded, with enough copies of each weight to stream it from memory the way a step
 * does (a step reads every weight once). Attention over the cache and sampling are left out: they
 * do not depend on the weight layout.
 */
public final class InvarianceCost {

    /** Bytes of copies cycled through per weight shape: beyond a 32 MiB L3, as in a real step. */
    private static final long WORKING_SET = 96L << 20;
    private static final long WINDOW_NANOS = 60_000_000L;

    /** One weight shape of a decode step: how many such products a step runs, each over {@code tokens} tokens. */
    public record Product(String name, int rows, int cols, int count, int tokens) {
    }

    /** Step time of the products in the engine's fixed layouts and with the faster layout per product. */
    public record Result(int concurrency, double fixedMillis, double bestPerBatchMillis) {
        /** The fraction of step time invariance costs: 0.05 is 5 %. */
        public double cost() {
            return fixedMillis / bestPerBatchMillis - 1;
        }
    }

    private InvarianceCost() {
    }

    /** The weight products of one decode step of {@code c} sequences (routed experts: about {@code c·k/E} tokens each). */
    public static List<Product> decodeStep(DeepSeekConfig config, int c) {
        int hidden = config.hiddenSize();
        int heads = config.numAttentionHeads();
        int layers = config.numHiddenLayers();
        int moeLayers = 0;
        for (int l = 0; l < layers; l++) {
            moeLayers += config.isMoeLayer(l) ? 1 : 0;
        }
        int denseLayers = layers - moeLayers;
        List<Product> products = new ArrayList<>();
        int qk = config.qkNopeHeadDim() + config.qkRopeHeadDim();
        if (config.qLoraRank() > 0) {
            products.add(new Product("q_a_proj", config.qLoraRank(), hidden, layers, c));
            products.add(new Product("q_b_proj", heads * qk, config.qLoraRank(), layers, c));
        } else {
            products.add(new Product("q_proj", heads * qk, hidden, layers, c));
        }
        products.add(new Product("kv_a_proj_with_mqa", config.kvLoraRank() + config.qkRopeHeadDim(), hidden, layers, c));
        products.add(new Product("o_proj", hidden, heads * config.vHeadDim(), layers, c));
        if (denseLayers > 0) {
            products.add(new Product("mlp.gate_proj/up_proj", config.intermediateSize(), hidden, 2 * denseLayers, c));
            products.add(new Product("mlp.down_proj", hidden, config.intermediateSize(), denseLayers, c));
        }
        if (moeLayers > 0) {
            int inter = config.moeIntermediateSize();
            int assignments = c * config.numExpertsPerTok();
            int active = Math.min(config.nRoutedExperts(), assignments);
            int perExpert = Math.max(1, Math.round((float) assignments / active));
            products.add(new Product("experts.gate_proj/up_proj", inter, hidden, 2 * active * moeLayers, perExpert));
            products.add(new Product("experts.down_proj", hidden, inter, active * moeLayers, perExpert));
            if (config.nSharedExperts() > 0) {
                int shared = inter * config.nSharedExperts();
                products.add(new Product("shared_experts.gate_proj/up_proj", shared, hidden, 2 * moeLayers, c));
                products.add(new Product("shared_experts.down_proj", hidden, shared, moeLayers, c));
            }
        }
        products.add(new Product("lm_head", config.vocabSize(), hidden, 1, c));
        return products;
    }

    /** Times every product in both layouts; {@code progress} gets one line per product, or null. */
    public static Result measure(DeepSeekConfig config, int concurrency, java.io.PrintStream progress) {
        double fixed = 0;
        double best = 0;
        for (Product p : decodeStep(config, concurrency)) {
            double rows = seconds(p, Layout.ROWS);
            double packed = seconds(p, Layout.PACKED);
            double chosen = Layout.forColumns(p.cols()) == Layout.PACKED ? packed : rows;
            fixed += p.count() * chosen;
            best += p.count() * Math.min(rows, packed);
            if (progress != null) {
                double flops = 2.0 * p.rows() * p.cols() * p.tokens();
                progress.printf("  %-34s [%5d, %4d] x %2d tokens: rows %6.1f GFLOP/s, packed %6.1f GFLOP/s, engine uses %s%n", p.name(),
                        p.rows(), p.cols(), p.tokens(), flops / rows / 1e9, flops / packed / 1e9,
                        Layout.forColumns(p.cols()).name().toLowerCase());
            }
        }
        return new Result(concurrency, fixed * 1e3, best * 1e3);
    }

    /** Seconds per product: the best of three windows, cycling through copies to read the weights from memory. */
    private static double seconds(Product p, Layout layout) {
        SplittableRandom random = new SplittableRandom(p.rows() * 31L + p.cols());
        short[] bits = new short[p.rows() * p.cols()];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = (short) (Float.floatToRawIntBits((float) random.nextGaussian() * 0.02f) >>> 16);
        }
        int copies = (int) Math.max(1, Math.min(64, WORKING_SET / (2L * bits.length)));
        Linear[] weights = new Linear[copies];
        for (int i = 0; i < copies; i++) {
            weights[i] = Linear.bf16(p.rows(), p.cols(), bits.clone(), layout);
        }
        float[] x = new float[p.tokens() * p.cols()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] out = new float[p.tokens() * p.rows()];
        double best = Double.MAX_VALUE;
        for (int window = 0; window < 3; window++) {
            long start = System.nanoTime();
            long calls = 0;
            do {
                weights[(int) (calls % copies)].matmul(x, 0, p.cols(), out, 0, p.rows(), p.tokens(), 0, p.rows());
                calls++;
            } while (System.nanoTime() - start < WINDOW_NANOS || calls < 3);
            best = Math.min(best, (System.nanoTime() - start) / 1e9 / calls);
        }
        return best;
    }
}
