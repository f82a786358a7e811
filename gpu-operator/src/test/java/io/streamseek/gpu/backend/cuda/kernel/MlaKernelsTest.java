package io.streamseek.gpu.backend.cuda.kernel;

import io.streamseek.gpu.attention.MlaSpec;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MlaKernelsTest {

    private static final MlaSpec DEEPSEEK_V3 = new MlaSpec(7168, 128, 1536, 512, 128, 64, 128, 1e-6f, 0.1352f);

    @Test
    void splitsCoverTheContextWithTheFixedLength() {
        assertThat(MlaKernels.splits(0)).isZero();
        assertThat(MlaKernels.splits(1)).isEqualTo(1);
        assertThat(MlaKernels.splits(MlaKernels.SPLIT_LEN)).isEqualTo(1);
        assertThat(MlaKernels.splits(MlaKernels.SPLIT_LEN + 1)).isEqualTo(2);
        assertThat(MlaKernels.splits(32768)).isEqualTo(32768 / MlaKernels.SPLIT_LEN);
        assertThat(MlaKernels.SPLIT_LEN % MlaKernels.POSITION_TILE).isZero();
        assertThatThrownBy(() -> MlaKernels.splits(-1)).hasMessageContaining("-1");
    }

    @Test
    void decodeAttentionWritesEveryPartialOnceAndNothingPastTheContext() {
        decodeCoverage(new int[] {1, 300, 600, 256}, 128, 512, 576);
        decodeCoverage(new int[] {7, 1000}, 5, 64, 96);
        decodeCoverage(new int[] {33}, 20, 256, 288);
    }

    /** Simulates the kernel's index mapping: which partials each thread of each block writes. */
    private static void decodeCoverage(int[] contexts, int heads, int lora, int width) {
        int tasks = contexts.length;
        int maxSplits = 0;
        for (int ctx : contexts) {
            maxSplits = Math.max(maxSplits, MlaKernels.splits(ctx));
        }
        LaunchGeometry g = MlaKernels.decodeGeometry(tasks, maxSplits, heads, lora, width);
        assertThat(g.sharedBytes()).isLessThanOrEqualTo(LaunchGeometry.DEFAULT_SHARED_BYTES);
        int[] out = new int[tasks * maxSplits * heads * lora];
        int[] stats = new int[tasks * maxSplits * heads];
        for (int task = 0; task < g.gridZ(); task++) {
            for (int split = 0; split < g.gridY(); split++) {
                for (int tile = 0; tile < g.gridX(); tile++) {
                    int head0 = tile * MlaKernels.HEAD_TILE;
                    int part = (task * maxSplits + split) * heads;
                    boolean empty = split * MlaKernels.SPLIT_LEN >= contexts[task];
                    for (int tid = 0; tid < g.blockX(); tid++) {
                        int warp = tid >> 5;
                        int lane = tid & 31;
                        if (empty) {
                            if (tid < MlaKernels.HEAD_TILE && head0 + tid < heads) {
                                stats[part + head0 + tid]++;
                            }
                            continue;
                        }
                        int group = tid >> 6;
                        for (int a = 0; a < 4; a++) {
                            int h = head0 + 4 * group + a;
                            for (int j = 0; j < 8 && h < heads; j++) {
                                int c = (tid & 63) + 64 * j;
                                if (c < lora) {
                                    out[(part + h) * lora + c]++;
                                }
                            }
                        }
                        int scoreHead = head0 + 2 * warp;
                        if (scoreHead < heads && (lane & 15) == 0 && scoreHead + (lane >> 4) < heads) {
                            stats[part + scoreHead + (lane >> 4)]++;
                        }
                    }
                }
            }
        }
        for (int task = 0; task < tasks; task++) {
            for (int split = 0; split < maxSplits; split++) {
                boolean inContext = split < MlaKernels.splits(contexts[task]);
                for (int h = 0; h < heads; h++) {
                    int part = (task * maxSplits + split) * heads + h;
                    assertThat(stats[part]).as("stats of task %d split %d head %d", task, split, h).isEqualTo(1);
                    for (int c = 0; c < lora; c++) {
                        assertThat(out[part * lora + c]).isEqualTo(inContext ? 1 : 0);
                    }
                }
            }
        }
    }

    @Test
    void tensorCoreDecodeAttentionWritesEveryPartialOnceAndNothingPastTheContext() {
        decodeTcCoverage(new int[] {1, 300, 600, 256}, 128, 512, 576);
        decodeTcCoverage(new int[] {7, 1000}, 20, 64, 96);
        decodeTcCoverage(new int[] {33, 513}, 16, 256, 288);
        decodeTcCoverage(new int[] {40}, 45, 504, 568);
    }

    /**
     * Replays mla_decode_attention_tc's index mapping: the mma accumulator fragments each lane of
     * each warp stores (rows g, g + 8 of two 16-head tiles, columns 2t, 2t + 1 of n-tiles warp + 8j),
     * and the softmax threads' statistics.
     */
    private static void decodeTcCoverage(int[] contexts, int heads, int lora, int width) {
        int tasks = contexts.length;
        int maxSplits = 0;
        for (int ctx : contexts) {
            maxSplits = Math.max(maxSplits, MlaKernels.splits(ctx));
        }
        LaunchGeometry g = MlaKernels.decodeTcGeometry(tasks, maxSplits, heads, lora, width);
        assertThat(g.sharedBytes() + MlaKernels.TC_STATIC_SHARED_BYTES).isLessThanOrEqualTo(LaunchGeometry.DEFAULT_SHARED_BYTES);
        assertThat(g.blockX()).isEqualTo(MlaKernels.TC_THREADS);
        int warps = MlaKernels.TC_THREADS / 32;
        int kSteps = MlaKernels.MAX_WIDTH / (8 * warps);
        int nTiles = MlaKernels.MAX_LORA / (8 * warps);
        int[] out = new int[tasks * maxSplits * heads * lora];
        int[] stats = new int[tasks * maxSplits * heads];
        boolean[] scoreColumn = new boolean[width];
        for (int warp = 0; warp < warps; warp++) {
            for (int j = 0; j < kSteps; j++) {
                int c0 = 8 * (warp + warps * j);
                for (int c = c0; c < c0 + 8 && c0 < width; c++) {
                    assertThat(scoreColumn[c]).as("score column %d taken twice", c).isFalse();
                    scoreColumn[c] = true;
                }
            }
        }
        assertThat(scoreColumn).as("every column of the latent width enters the scores").doesNotContain(false);
        for (int task = 0; task < g.gridZ(); task++) {
            for (int split = 0; split < g.gridY(); split++) {
                for (int block = 0; block < g.gridX(); block++) {
                    int head0 = block * MlaKernels.TC_HEAD_BLOCK;
                    int part = (task * maxSplits + split) * heads;
                    boolean empty = split * MlaKernels.SPLIT_LEN >= contexts[task];
                    for (int tid = 0; tid < g.blockX(); tid++) {
                        if (empty) {
                            if (tid < MlaKernels.TC_HEAD_BLOCK && head0 + tid < heads) {
                                stats[part + head0 + tid]++;
                            }
                            continue;
                        }
                        int warp = tid >> 5;
                        int group = (tid & 31) >> 2;
                        int t = tid & 3;
                        for (int m = 0; m < MlaKernels.TC_HEAD_BLOCK / 16; m++) {
                            for (int j = 0; j < nTiles; j++) {
                                int c = 8 * (warp + warps * j) + 2 * t;
                                for (int half = 0; half < 2; half++) {
                                    int h = head0 + 16 * m + group + 8 * half;
                                    if (c < lora && h < heads) {
                                        out[(part + h) * lora + c]++;
                                        out[(part + h) * lora + c + 1]++;
                                    }
                                }
                            }
                        }
                        int softHead = tid >> 3;
                        if ((tid & 7) == 0 && head0 + softHead < heads) {
                            stats[part + head0 + softHead]++;
                        }
                    }
                }
            }
        }
        for (int task = 0; task < tasks; task++) {
            for (int split = 0; split < maxSplits; split++) {
                boolean inContext = split < MlaKernels.splits(contexts[task]);
                for (int h = 0; h < heads; h++) {
                    int part = (task * maxSplits + split) * heads + h;
                    assertThat(stats[part]).as("stats of task %d split %d head %d", task, split, h).isEqualTo(1);
                    for (int c = 0; c < lora; c++) {
                        assertThat(out[part * lora + c]).as("output of task %d split %d head %d column %d", task, split, h, c)
                                .isEqualTo(inContext ? 1 : 0);
                    }
                }
            }
        }
    }

    @Test
    void tensorCoreRowStrideAvoidsBankConflictsAndFitsTheSharedBudget() {
        for (int width = 8; width <= MlaKernels.MAX_WIDTH; width += 8) {
            int stride = MlaKernels.tcRowStride(width);
            assertThat(stride).as("stride of width %d", width).isBetween(width, width + 24);
            assertThat(stride % 32).as("stride of width %d", width).isEqualTo(8);
            // Score fragments: half a warp reads float2 pairs 2t, 2t + 1 of rows g = 0..3.
            java.util.Set<Integer> banks = new java.util.HashSet<>();
            for (int lane = 0; lane < 16; lane++) {
                int word = (lane >> 2) * stride + 2 * (lane & 3);
                banks.add(word % 32);
                banks.add((word + 1) % 32);
            }
            assertThat(banks).hasSize(32);
            // Output fragments: the warp reads column g of rows t = 0..3.
            banks.clear();
            for (int lane = 0; lane < 32; lane++) {
                banks.add(((lane & 3) * stride + (lane >> 2)) % 32);
            }
            assertThat(banks).hasSize(32);
        }
        assertThat(MlaKernels.decodeTcSharedBytes(576)).isEqualTo(2 * 8 * 584 * 4);
        assertThat(MlaKernels.decodeTcSharedBytes(560) + MlaKernels.TC_STATIC_SHARED_BYTES)
                .isLessThanOrEqualTo(LaunchGeometry.DEFAULT_SHARED_BYTES);
        assertThat(MlaKernels.SPLIT_LEN % MlaKernels.TC_POSITION_TILE).isZero();
    }

    @Test
    void tensorCoresServeManyHeadModelsAndTheTensorCoreGeometryRefusesOddShapes() {
        assertThat(MlaKernels.useTensorCores(DEEPSEEK_V3)).isTrue();
        MlaSpec v2Lite = new MlaSpec(2048, 16, 0, 512, 128, 64, 128, 1e-6f, 0.1352f);
        assertThat(MlaKernels.useTensorCores(v2Lite)).isTrue();
        assertThat(MlaKernels.useTensorCores(new MlaSpec(1024, 8, 0, 512, 128, 64, 128, 1e-6f, 0.1f))).isFalse();
        assertThat(MlaKernels.useTensorCores(new MlaSpec(4096, 32, 0, 500, 128, 64, 128, 1e-6f, 0.1f))).isFalse();
        assertThat(MlaKernels.useTensorCores(new MlaSpec(4096, 32, 0, 512, 128, 60, 128, 1e-6f, 0.1f))).isFalse();

        LaunchGeometry g = MlaKernels.decodeTcGeometry(64, MlaKernels.splits(32768), 128, 512, 576);
        assertThat(g.gridX()).isEqualTo(4);
        assertThat(g.gridY()).isEqualTo(128);
        assertThat(g.gridZ()).isEqualTo(64);
        assertThatThrownBy(() -> MlaKernels.decodeTcGeometry(1, 1, 128, 500, 564)).hasMessageContaining("kv_lora_rank = 500");
        assertThatThrownBy(() -> MlaKernels.decodeTcGeometry(1, 1, 128, 512, 572)).hasMessageContaining("latent width = 572");
        assertThatThrownBy(() -> MlaKernels.decodeTcGeometry(1, 1, 128, 512, 584)).hasMessageContaining("latent width = 584");
        assertThatThrownBy(() -> MlaKernels.decodeTcGeometry(70_000, 1, 128, 512, 576)).hasMessageContaining("70000");
        assertThatThrownBy(() -> MlaKernels.decodeTcGeometry(1, 70_000, 128, 512, 576)).hasMessageContaining("max_splits = 70000");
        assertThatThrownBy(() -> MlaKernels.decodeTcGeometry(0, 1, 128, 512, 576)).hasMessageContaining("decode tasks = 0");
    }

    @Test
    void absorptionAndCombineWriteEveryOutputOnce() {
        int tasks = 37;
        int heads = 6;
        int nope = 128;
        int rope = 64;
        int v = 96;
        int lora = 512;
        int width = lora + rope;
        LaunchGeometry q = MlaKernels.absorbQueryGeometry(tasks, heads, nope, lora);
        int[] qLatent = new int[tasks * heads * width];
        for (int h = 0; h < q.gridX(); h++) {
            for (int by = 0; by < q.gridY(); by++) {
                int task0 = by * MlaKernels.ABSORB_TASKS;
                for (int t = 0; t < MlaKernels.ABSORB_TASKS && task0 + t < tasks; t++) {
                    for (int r = 0; r < rope; r++) {
                        qLatent[((task0 + t) * heads + h) * width + lora + r]++;
                    }
                    for (int tid = 0; tid < q.blockX(); tid++) {
                        for (int c : new int[] {tid, tid + MlaKernels.ABSORB_THREADS}) {
                            if (c < lora) {
                                qLatent[((task0 + t) * heads + h) * width + c]++;
                            }
                        }
                    }
                }
            }
        }
        assertThat(qLatent).containsOnly(1);

        LaunchGeometry o = MlaKernels.absorbOutputGeometry(tasks, heads, lora);
        int[] attn = new int[tasks * heads * v];
        for (int h = 0; h < o.gridX(); h++) {
            for (int by = 0; by < o.gridY(); by++) {
                for (int warp = 0; warp < o.blockX() / 32; warp++) {
                    for (int row0 = 2 * warp; row0 < v; row0 += 2 * (MlaKernels.ABSORB_THREADS / 32)) {
                        for (int lane = 0; lane < 32; lane++) {
                            int row = row0 + (lane >> 4);
                            int t = by * MlaKernels.ABSORB_TASKS + (lane & 15);
                            if (row < v && t < tasks) {
                                attn[(t * heads + h) * v + row]++;
                            }
                        }
                    }
                }
            }
        }
        assertThat(attn).containsOnly(1);

        LaunchGeometry c = MlaKernels.combineGeometry(tasks, heads);
        assertThat((long) c.gridX() * c.gridY()).isEqualTo((long) tasks * heads);
        assertThat(c.blockX()).isEqualTo(MlaKernels.COMBINE_THREADS);
    }

    @Test
    void prefillAndGatherCoverTheChunk() {
        int count = 45;
        int heads = 3;
        int v = 128;
        LaunchGeometry p = MlaKernels.prefillGeometry(count, heads, 128, 64, v);
        assertThat(p.sharedBytes()).isEqualTo(16 * (192 + 128) * 4);
        int[] attn = new int[count * heads * v];
        for (int bx = 0; bx < p.gridX(); bx++) {
            for (int h = 0; h < p.gridY(); h++) {
                for (int warp = 0; warp < p.blockX() / 32; warp++) {
                    for (int a = 0; a < 2; a++) {
                        int t = bx * MlaKernels.PREFILL_QUERIES + 2 * warp + a;
                        for (int lane = 0; lane < 32 && t < count; lane++) {
                            for (int j = 0; j < MlaKernels.PREFILL_MAX_V / 32; j++) {
                                int d = lane + 32 * j;
                                if (d < v) {
                                    attn[(t * heads + h) * v + d]++;
                                }
                            }
                        }
                    }
                }
            }
        }
        assertThat(attn).containsOnly(1);

        LaunchGeometry gather = MlaKernels.gatherGeometry(1000, 576);
        assertThat(gather.threads()).isGreaterThanOrEqualTo(1000L * 576 / 4).isLessThan(1000L * 576 / 4 + gather.blockX());
    }

    @Test
    void deepSeekV3FitsAndOversizedShapesAreRefusedByName() {
        MlaKernels.requireSupported(DEEPSEEK_V3);
        LaunchGeometry g = MlaKernels.decodeGeometry(64, MlaKernels.splits(32768), 128, 512, 576);
        assertThat(g.gridX()).isEqualTo(8);
        assertThat(g.sharedBytes()).isEqualTo(2 * 8 * 576 * 4);
        assertThatThrownBy(() -> MlaKernels.requireSupported(new MlaSpec(4096, 32, 0, 1024, 128, 64, 128, 1e-6f, 0.1f)))
                .hasMessageContaining("kv_lora_rank = 1024");
        assertThatThrownBy(() -> MlaKernels.requireSupported(new MlaSpec(4096, 32, 0, 512, 128, 128, 128, 1e-6f, 0.1f)))
                .hasMessageContaining("kv_lora_rank + qk_rope_head_dim = 640");
        assertThatThrownBy(() -> MlaKernels.requireSupported(new MlaSpec(4096, 32, 0, 256, 128, 64, 256, 1e-6f, 0.1f)))
                .hasMessageContaining("v_head_dim = 256");
        assertThatThrownBy(() -> MlaKernels.decodeGeometry(70_000, 1, 16, 512, 576)).hasMessageContaining("70000");
        assertThatThrownBy(() -> MlaKernels.decodeGeometry(1, 1, 16, 512, 578)).hasMessageContaining("latent width = 578");
    }

    @Test
    void scratchSizesFollowTheLayouts() {
        assertThat(MlaKernels.partialBytes(2, 1000, 128, 512))
                .isEqualTo(4L * 2 * 4 * 128 * 512 + 2 * 4L * 2 * 4 * 128);
        assertThat(MlaKernels.qLatentBytes(3, 128, 576)).isEqualTo(4L * 3 * 128 * 576);
        assertThat(MlaKernels.oLatentBytes(3, 128, 512)).isEqualTo(4L * 3 * 128 * 512);
        assertThat(MlaKernels.keysValuesBytes(4096, 128, 128, 128)).isEqualTo(4L * 4096 * 128 * 256);
        assertThat(MlaKernels.gatheredLatentBytes(4096, 576)).isEqualTo(4L * 4096 * 576);
    }
}
