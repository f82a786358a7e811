package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cpu.Kernels;
import io.streamseek.gpu.backend.cpu.LatentKernels;
import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.backend.cuda.driver.DevicePointer;
import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;
import io.streamseek.gpu.backend.cuda.kernel.MlaKernels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The MLA kernels against the CPU's attention arithmetic ({@code LatentKernels}, the absorption as
 * {@code MlaAttention} builds it, a direct causal softmax for the prefill), over a paged latent cache
 * whose block tables are shuffled: run on the emulator by {@link EmulatedMlaKernelsTest} and on a GPU
 * by {@link MlaKernelsGpuTest}.
 */
abstract class MlaKernelChecks extends KernelChecks {

    static final long SEED = 7;

    private static final int HEADS = 3;
    private static final int NOPE = 8;
    private static final int ROPE = 8;
    private static final int V = 6;
    private static final int LORA = 16;
    private static final int WIDTH = LORA + ROPE;
    private static final int QK = NOPE + ROPE;
    private static final int KV_ROW = NOPE + V;
    private static final int NUM_LAYERS = 2;
    private static final int LAYER = 1;
    private static final int BLOCK_SIZE = 16;
    private static final float SCALE = 0.3f;

    private float[] kvB;
    private Linear kvBLinear;

    /** kv_b_proj, every test's first random draw. Not in a constructor: the device may be opened only once the test runs. */
    @BeforeEach
    void drawKvB() {
        kvB = device().uniform(HEADS * KV_ROW * LORA, 0.5f);
        kvBLinear = Linear.ofFloats(HEADS * KV_ROW, LORA, kvB);
    }

    @Test
    void absorbQueryAndAbsorbOutputApplyKvBProjPerHeadToTheTasksTokens() {
        KernelTestDevice device = device();
        DeviceKernels kernels = device.kernels;
        int stepTokens = 4;
        int[] taskToken = {3, 1};
        float[] q = device.uniform(stepTokens * HEADS * QK, 1f);
        DevicePointer qLatent = device.output("q_latent", taskToken.length * HEADS * WIDTH);
        DevicePointer tokens = device.ints("task token", taskToken);
        DevicePointer kvBs = device.floats("kv_b", kvB);
        kernels.mlaAbsorbQuery(device.floats("q", q), HEADS * QK, kvBs, tokens, qLatent, taskToken.length, HEADS, NOPE, ROPE, V, LORA);
        float[] expected = new float[taskToken.length * HEADS * WIDTH];
        for (int h = 0; h < HEADS; h++) {
            float[] kT = new float[LORA * NOPE]; // W_k[h]ᵀ, as MlaAttention builds it
            for (int d = 0; d < NOPE; d++) {
                for (int c = 0; c < LORA; c++) {
                    kT[c * NOPE + d] = kvB[(h * KV_ROW + d) * LORA + c];
                }
            }
            Linear absorbK = Linear.ofFloats(LORA, NOPE, kT);
            for (int i = 0; i < taskToken.length; i++) {
                int qo = taskToken[i] * HEADS * QK + h * QK;
                int out = (i * HEADS + h) * WIDTH;
                for (int c = 0; c < LORA; c++) {
                    expected[out + c] = absorbK.dot(c, q, qo);
                }
                System.arraycopy(q, qo + NOPE, expected, out + LORA, ROPE);
            }
        }
        assertOutput(MlaKernels.ABSORB_QUERY, device.read(qLatent, expected.length), expected, 1e-5);

        float[] oLatent = device.uniform(taskToken.length * HEADS * LORA, 1f);
        int attnStride = HEADS * V + 3;
        DevicePointer attn = device.output("attn", stepTokens * attnStride);
        kernels.mlaAbsorbOutput(device.floats("o_latent", oLatent), kvBs, tokens, attn, attnStride, taskToken.length, HEADS, NOPE, V, LORA);
        float[] expectedAttn = new float[stepTokens * attnStride];
        Arrays.fill(expectedAttn, Float.NaN); // rows of tokens that are not tasks, and stride gaps, untouched
        for (int i = 0; i < taskToken.length; i++) {
            for (int h = 0; h < HEADS; h++) {
                Linear absorbV = kvBLinear.rows(h * KV_ROW + NOPE, V);
                for (int j = 0; j < V; j++) {
                    expectedAttn[taskToken[i] * attnStride + h * V + j] = absorbV.dot(j, oLatent, (i * HEADS + h) * LORA);
                }
            }
        }
        assertOutput(MlaKernels.ABSORB_OUTPUT, device.read(attn, expectedAttn.length), expectedAttn, 1e-5);
    }

    @Test
    void decodeAttentionPartialsCombineToTheSoftmaxWeightedSumOfLatentRows() {
        KernelTestDevice device = device();
        DeviceKernels kernels = device.kernels;
        int[] contexts = {1, 300, 600};
        int tasks = contexts.length;
        int maxSplits = MlaKernels.splits(600);
        int maxBlocks = (600 + BLOCK_SIZE - 1) / BLOCK_SIZE;
        int numBlocks = tasks * maxBlocks;
        float[] cache = device.uniform(numBlocks * NUM_LAYERS * BLOCK_SIZE * WIDTH, 1f);
        int[] tables = shuffledBlocks(numBlocks);
        float[] qLatent = device.uniform(tasks * HEADS * WIDTH, 0.7f);
        DevicePointer caches = device.floats("latent cache", cache);
        DevicePointer blockTables = device.ints("block tables", tables);
        DevicePointer contextLens = device.ints("context lens", contexts);
        DevicePointer queries = device.floats("q_latent", qLatent);

        for (boolean tensorCores : new boolean[] {false, true}) {
            KernelSignature attention = tensorCores ? MlaKernels.DECODE_ATTENTION_TC : MlaKernels.DECODE_ATTENTION;
            DevicePointer partOut = device.output("part_out", tasks * maxSplits * HEADS * LORA);
            DevicePointer partMax = device.output("part_max", tasks * maxSplits * HEADS);
            DevicePointer partSum = device.output("part_sum", tasks * maxSplits * HEADS);
            DevicePointer oLatent = device.output("o_latent", tasks * HEADS * LORA);
            kernels.mlaDecodeAttention(tensorCores, queries, caches, blockTables, maxBlocks, contextLens, partOut, partMax, partSum, tasks,
                    HEADS, LORA, WIDTH, LAYER, NUM_LAYERS, BLOCK_SIZE, maxSplits, SCALE);
            kernels.mlaDecodeCombine(partOut, partMax, partSum, contextLens, oLatent, tasks, HEADS, LORA, maxSplits);

            float[] maxes = device.read(partMax, tasks * maxSplits * HEADS);
            float[] sums = device.read(partSum, tasks * maxSplits * HEADS);
            float[] outs = device.read(partOut, tasks * maxSplits * HEADS * LORA);
            float[] expected = new float[tasks * HEADS * LORA];
            for (int i = 0; i < tasks; i++) {
                int context = contexts[i];
                float[][] rows = new float[context][];
                int[] offsets = new int[context];
                for (int pos = 0; pos < context; pos++) {
                    rows[pos] = cache;
                    offsets[pos] = rowOffset(tables[i * maxBlocks + pos / BLOCK_SIZE], pos);
                }
                float[] scores = new float[context * HEADS];
                LatentKernels.scores(qLatent, i * HEADS * WIDTH, HEADS, rows, offsets, context, WIDTH, scores);
                for (int split = 0; split < maxSplits; split++) {
                    for (int h = 0; h < HEADS; h++) {
                        int at = (i * maxSplits + split) * HEADS + h;
                        checkPartial(attention, scores, rows, offsets, context, split, h, maxes[at], sums[at],
                                Arrays.copyOfRange(outs, at * LORA, (at + 1) * LORA));
                    }
                }
                LatentKernels.softmaxPerHead(scores, HEADS, context, SCALE);
                LatentKernels.weightedSum(scores, HEADS, rows, offsets, context, LORA, expected, i * HEADS * LORA);
            }
            // The combine adds the partials as the CPU's softmax would; its error is the attention's.
            assertOutput(attention, device.read(oLatent, expected.length), expected, 1e-5);
        }
    }

    /** A split's partials: its scaled scores' max, Σ e^(s - max), Σ e^(s - max) c_kv; -inf and 0 past the context. */
    private void checkPartial(KernelSignature attention, float[] scores, float[][] rows, int[] offsets, int context, int split, int h,
                              float max, float sum, float[] out) {
        int begin = split * MlaKernels.SPLIT_LEN;
        int end = Math.min(context, begin + MlaKernels.SPLIT_LEN);
        if (begin >= end) {
            assertThat(max).as("%s: max of split %d past a context of %d", attention.name(), split, context)
                    .isEqualTo(Float.NEGATIVE_INFINITY);
            assertThat(sum).isZero();
            return;
        }
        float expectedMax = Float.NEGATIVE_INFINITY;
        for (int pos = begin; pos < end; pos++) {
            expectedMax = Math.max(expectedMax, scores[pos * HEADS + h] * SCALE);
        }
        double expectedSum = 0;
        double[] expectedOut = new double[LORA];
        for (int pos = begin; pos < end; pos++) {
            double e = Math.exp(scores[pos * HEADS + h] * SCALE - expectedMax);
            expectedSum += e;
            for (int c = 0; c < LORA; c++) {
                expectedOut[c] += e * rows[pos][offsets[pos] + c];
            }
        }
        double tolerance = tolerance(attention, 1e-5);
        String what = attention.name() + " split " + split + " head " + h;
        assertThat(max).as("%s: max", what).isCloseTo(expectedMax, within((float) tolerance));
        assertThat((double) sum).as("%s: sum", what).isCloseTo(expectedSum, within(tolerance * expectedSum));
        for (int c = 0; c < LORA; c++) {
            assertThat((double) out[c]).as("%s: out %d", what, c).isCloseTo(expectedOut[c], within(tolerance * Math.max(1, expectedSum)));
        }
    }

    @Test
    void gatherAndPrefillAttendCausallyOverTheExpandedKeysAndValues() {
        KernelTestDevice device = device();
        DeviceKernels kernels = device.kernels;
        int count = 20;
        int startPos = 13;
        int context = startPos + count;
        int[] table = {4, 0, 2};
        int numBlocks = 5;
        float[] cache = device.uniform(numBlocks * NUM_LAYERS * BLOCK_SIZE * WIDTH, 1f);
        DevicePointer latent = device.output("latent", context * WIDTH);
        kernels.mlaGatherLatent(device.floats("latent cache", cache), device.ints("block table", table), context, LAYER, NUM_LAYERS,
                BLOCK_SIZE, WIDTH, latent);
        float[] rows = device.read(latent, context * WIDTH);
        for (int pos = 0; pos < context; pos++) {
            int from = rowOffset(table[pos / BLOCK_SIZE], pos);
            assertThat(Arrays.copyOfRange(rows, pos * WIDTH, (pos + 1) * WIDTH)).as("%s position %d", MlaKernels.GATHER_LATENT.name(), pos)
                    .isEqualTo(Arrays.copyOfRange(cache, from, from + WIDTH));
        }

        int expanded = HEADS * KV_ROW;
        DevicePointer keysValues = device.output("keys_values", context * expanded);
        kernels.linearF32(latent, WIDTH, device.floats("kv_b", kvB), keysValues, expanded, context, expanded, LORA);
        float[] kv = new float[context * expanded];
        for (int pos = 0; pos < context; pos++) {
            for (int r = 0; r < expanded; r++) {
                kv[pos * expanded + r] = kvBLinear.dot(r, rows, pos * WIDTH);
            }
        }
        int qStride = HEADS * QK + 5;
        int attnStride = HEADS * V + 3;
        float[] q = device.uniform(count * qStride, 1f);
        DevicePointer attn = device.output("attn", count * attnStride);
        kernels.mlaPrefillAttention(device.floats("q", q), qStride, keysValues, latent, attn, attnStride, count, startPos, HEADS, NOPE, ROPE,
                V, LORA, WIDTH, SCALE);

        float[] expected = new float[count * attnStride];
        Arrays.fill(expected, Float.NaN);
        for (int t = 0; t < count; t++) {
            int visible = startPos + t + 1;
            for (int h = 0; h < HEADS; h++) {
                int qo = t * qStride + h * QK;
                float[] p = new float[visible];
                for (int pos = 0; pos < visible; pos++) {
                    p[pos] = (Kernels.dot(q, qo, kv, pos * expanded + h * KV_ROW, NOPE)
                            + Kernels.dot(q, qo + NOPE, rows, pos * WIDTH + LORA, ROPE)) * SCALE;
                }
                Kernels.softmax(p, 0, visible);
                int ao = t * attnStride + h * V;
                Arrays.fill(expected, ao, ao + V, 0f);
                for (int pos = 0; pos < visible; pos++) {
                    Kernels.axpy(p[pos], kv, pos * expanded + h * KV_ROW + NOPE, expected, ao, V);
                }
            }
        }
        assertOutput(MlaKernels.PREFILL_ATTENTION, device.read(attn, expected.length), expected, 1e-5);
    }

    private static int rowOffset(int block, int pos) {
        return ((block * NUM_LAYERS + LAYER) * BLOCK_SIZE + pos % BLOCK_SIZE) * WIDTH;
    }

    private int[] shuffledBlocks(int numBlocks) {
        List<Integer> ids = new ArrayList<>();
        for (int b = 0; b < numBlocks; b++) {
            ids.add(b);
        }
        Collections.shuffle(ids, device().random);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
