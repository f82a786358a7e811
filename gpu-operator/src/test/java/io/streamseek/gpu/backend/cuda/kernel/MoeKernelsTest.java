package io.streamseek.gpu.backend.cuda.kernel;

import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.moe.RouterSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MoeKernelsTest {

    @Test
    void codesFollowTheConfigNames() {
        assertThat(MoeKernels.topkMethodCode(RouterSpec.TopkMethod.GREEDY)).isZero();
        assertThat(MoeKernels.topkMethodCode(RouterSpec.TopkMethod.GROUP_LIMITED_GREEDY)).isEqualTo(1);
        assertThat(MoeKernels.topkMethodCode(RouterSpec.TopkMethod.NOAUX_TC)).isEqualTo(2);
        assertThat(MoeKernels.scoringCode(RouterSpec.ScoringFunc.SOFTMAX)).isZero();
        assertThat(MoeKernels.scoringCode(RouterSpec.ScoringFunc.SIGMOID)).isEqualTo(1);
        assertThat(MoeKernels.formatCode(Linear.Format.F32)).isZero();
        assertThat(MoeKernels.formatCode(Linear.Format.BF16)).isEqualTo(1);
        assertThat(MoeKernels.formatCode(Linear.Format.E4M3)).isEqualTo(2);
        assertThatThrownBy(() -> MoeKernels.formatCode(Linear.Format.F16)).hasMessageContaining("F16");
    }

    @Test
    void deepSeekV3RoutingFitsAndLargerGatesAreRefusedByName() {
        MoeKernels.requireSupported(new RouterSpec(256, 8, RouterSpec.TopkMethod.NOAUX_TC, RouterSpec.ScoringFunc.SIGMOID, 8, 4,
                true, 2.5f, new float[256]));
        assertThat(MoeKernels.routeGeometry(10, 256, 8, 8).threads()).isEqualTo(3 * 128);
        assertThatThrownBy(() -> MoeKernels.requireSupported(new RouterSpec(1024, 8, RouterSpec.TopkMethod.GREEDY,
                RouterSpec.ScoringFunc.SOFTMAX, 1, 1, true, 1f, null))).hasMessageContaining("n_routed_experts = 1024");
        assertThatThrownBy(() -> MoeKernels.routeGeometry(1, 64, 17, 1)).hasMessageContaining("num_experts_per_tok = 17");
        assertThatThrownBy(() -> MoeKernels.routeGeometry(1, 64, 6, 64)).hasMessageContaining("n_group = 64");
        assertThatThrownBy(() -> MoeKernels.gateUpGeometry(8, 1408, 2050)).hasMessageContaining("hidden_size = 2050");
        assertThatThrownBy(() -> MoeKernels.downGeometry(8, 1410, 2048)).hasMessageContaining("moe_intermediate_size = 1410");
    }

    @Test
    void sortPlacesPairsByExpertAscendingWithinOne() {
        int tokens = 700;
        int k = 6;
        int experts = 64;
        int[] chosen = routing(tokens, k, experts, 1);
        int[] offsets = new int[experts + 1];
        int[] sorted = simulateSort(chosen, experts, offsets);
        int at = 0;
        for (int e = 0; e < experts; e++) {
            assertThat(offsets[e]).isEqualTo(at);
            for (int p = 0; p < chosen.length; p++) {
                if (chosen[p] == e) {
                    assertThat(sorted[at++]).isEqualTo(p);
                }
            }
        }
        assertThat(offsets[experts]).isEqualTo(tokens * k);
        assertThat(MoeKernels.sortGeometry(tokens, k, experts).threads()).isEqualTo(MoeKernels.SORT_THREADS);
    }

    /** moe_sort's placement: chunks of 1024 pairs, warps in order, ranks from __match_any_sync. */
    private static int[] simulateSort(int[] chosen, int experts, int[] offsets) {
        int[] cursor = new int[experts];
        for (int e : chosen) {
            cursor[e]++;
        }
        int start = 0;
        for (int e = 0; e < experts; e++) {
            offsets[e] = start;
            int count = cursor[e];
            cursor[e] = start;
            start += count;
        }
        offsets[experts] = start;
        int[] sorted = new int[chosen.length];
        for (int base = 0; base < chosen.length; base += MoeKernels.SORT_THREADS) {
            for (int warp = 0; warp < MoeKernels.SORT_THREADS / 32; warp++) {
                int[] at = new int[32];
                int[] expert = new int[32];
                for (int lane = 0; lane < 32; lane++) {
                    int p = base + warp * 32 + lane;
                    expert[lane] = p < chosen.length ? chosen[p] : -1;
                    int rank = 0;
                    for (int other = 0; other < lane; other++) {
                        rank += expert[other] == expert[lane] ? 1 : 0;
                    }
                    at[lane] = expert[lane] >= 0 ? cursor[expert[lane]] + rank : 0;
                }
                for (int lane = 0; lane < 32; lane++) {
                    if (expert[lane] >= 0) {
                        sorted[at[lane]] = base + warp * 32 + lane;
                        cursor[expert[lane]] = Math.max(cursor[expert[lane]], at[lane] + 1);
                    }
                }
            }
        }
        return sorted;
    }

    @Test
    void expertKernelsWriteEveryPairOfLocalExpertsOnceAndSkipRemoteOnes() {
        int tokens = 37;
        int k = 4;
        int experts = 16;
        int inter = 200;
        int hidden = 120;
        int[] chosen = routing(tokens, k, experts, 2);
        int[] offsets = new int[experts + 1];
        int[] sorted = simulateSort(chosen, experts, offsets);
        boolean[] local = new boolean[experts];
        for (int e = 0; e < experts; e++) {
            local[e] = e % 3 != 1; // the others live on another device: address 0
        }
        int[] act = new int[tokens * k * inter];
        LaunchGeometry g = MoeKernels.gateUpGeometry(experts, inter, hidden);
        simulateExperts(g, offsets, sorted, local, act, inter, MoeKernels.GATE_UP_ROWS / 8, 2);
        int[] down = new int[tokens * k * hidden];
        LaunchGeometry d = MoeKernels.downGeometry(experts, inter, hidden);
        simulateExperts(d, offsets, sorted, local, down, hidden, MoeKernels.DOWN_ROWS / 8, 1);
        for (int p = 0; p < tokens * k; p++) {
            int expected = local[chosen[p]] ? 1 : 0;
            for (int r = 0; r < inter; r++) {
                assertThat(act[p * inter + r]).as("act pair %d row %d", p, r).isEqualTo(expected);
            }
            for (int r = 0; r < hidden; r++) {
                assertThat(down[p * hidden + r]).as("down pair %d row %d", p, r).isEqualTo(expected);
            }
        }
    }

    /**
     * The grouped kernels' mapping: block (row tile, expert), warp rows row0 .. row0 + rowsPerWarp,
     * pair tiles of 8; after the transposed sum, lane l holds value index l / lanesPerValue =
     * row (index / 8) of pair (index % 8), written by the first lane of its group.
     */
    private static void simulateExperts(LaunchGeometry g, int[] offsets, int[] sorted, boolean[] local, int[] out, int rows,
                                        int rowsPerWarp, int lanesPerValue) {
        for (int e = 0; e < g.gridY(); e++) {
            int begin = offsets[e];
            int end = offsets[e + 1];
            for (int bx = 0; bx < g.gridX(); bx++) {
                for (int warp = 0; warp < g.blockX() / 32; warp++) {
                    int row0 = bx * 8 * rowsPerWarp + warp * rowsPerWarp;
                    if (begin >= end || !local[e] || row0 >= rows) {
                        continue;
                    }
                    for (int tile = begin; tile < end; tile += MoeKernels.PAIR_TILE) {
                        for (int lane = 0; lane < 32; lane += lanesPerValue) {
                            int index = lane / lanesPerValue;
                            int row = row0 + index / MoeKernels.PAIR_TILE;
                            int at = tile + index % MoeKernels.PAIR_TILE;
                            if (row < rows && at < end) {
                                out[sorted[at] * rows + row]++;
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void combineCoversEveryOutputOnceAndScratchFollowsTheLayouts() {
        LaunchGeometry c = MoeKernels.combineGeometry(13, 7168);
        assertThat(c.threads()).isGreaterThanOrEqualTo(13L * 7168).isLessThan(13L * 7168 + c.blockX());
        assertThat(MoeKernels.actBytes(64, 8, 2048)).isEqualTo(4L * 64 * 8 * 2048);
        assertThat(MoeKernels.downBytes(64, 8, 7168)).isEqualTo(4L * 64 * 8 * 7168);
        assertThat(MoeKernels.pairBytes(64, 8)).isEqualTo(4L * 64 * 8);
        assertThat(MoeKernels.expertOffsetsBytes(256)).isEqualTo(4L * 257);
    }

    /** Distinct experts per token, as the gate picks them. */
    private static int[] routing(int tokens, int k, int experts, long seed) {
        Random random = new Random(seed);
        int[] chosen = new int[tokens * k];
        for (int t = 0; t < tokens; t++) {
            List<Integer> all = new ArrayList<>();
            for (int e = 0; e < experts; e++) {
                all.add(e);
            }
            java.util.Collections.shuffle(all, random);
            List<Integer> pick = new ArrayList<>(all.subList(0, k));
            pick.sort(null);
            for (int j = 0; j < k; j++) {
                chosen[t * k + j] = pick.get(j);
            }
        }
        return chosen;
    }
}
