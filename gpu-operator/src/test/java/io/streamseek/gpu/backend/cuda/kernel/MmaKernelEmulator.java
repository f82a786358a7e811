package io.streamseek.gpu.backend.cuda.kernel;

import io.streamseek.gpu.backend.cpu.ScalarDot;

import java.util.Arrays;

/**
 * linear_mma.cuh's index arithmetic run in plain Java over a whole grid: operand staging into the
 * padded shared tiles, ldmatrix (lane l names the row of matrix l / 8; lane l receives row l / 4,
 * elements 2(l % 4) and 2(l % 4) + 1 of each matrix) and mma.m16n8k16's fragment layouts as the PTX
 * ISA documents them. No GPU here: this checks that the kernel's indices compute a matrix product.
 * Shared values are f32 holding bf16 values; padding columns hold NaN, so reading one poisons a sum.
 */
final class MmaKernelEmulator {

    private static final int STRIDE = 40;
    private static final int THREADS = LinearKernels.MMA_THREADS;

    /** Weights as the staging sees them: the bf16 value of W[row, col]. */
    interface StagedWeights {
        /** Fills the W tile of the k-step at column k0 for weight rows from n0, as the kernel's stage does. */
        void stage(float[] tile, int rows, int cols, int n0, int k0);
    }

    static StagedWeights bf16(float[] w) {
        return (tile, rows, cols, n0, k0) -> {
            for (int tid = 0; tid < THREADS; tid++) {
                for (int i = 0; i < 2; i++) {
                    int idx = tid + i * THREADS;
                    int row = n0 + (idx >> 2);
                    int col = k0 + (idx & 3) * 8;
                    for (int e = 0; e < 8; e++) {
                        float v = row < rows && col + e < cols ? w[row * cols + col + e] : 0f;
                        put(tile, (idx >> 2) * STRIDE + (idx & 3) * 8 + e, v);
                    }
                }
            }
        };
    }

    static StagedWeights e4m3(byte[] codes, float[] scales) {
        return (tile, rows, cols, n0, k0) -> {
            for (int tid = 0; tid < THREADS; tid++) {
                int row = n0 + (tid >> 1);
                int col = k0 + (tid & 1) * 16;
                float scale = row < rows && col < cols ? scales[row / 128 * ((cols + 127) / 128) + col / 128] : 0f;
                for (int e = 0; e < 16; e++) {
                    byte code = row < rows && col + e < cols ? codes[row * cols + col + e] : 0;
                    put(tile, (tid >> 1) * STRIDE + (tid & 1) * 16 + e, ScalarDot.roundToBf16(ScalarDot.dequantE4m3(code, scale)));
                }
            }
        };
    }

    /** Every tile position is staged exactly once per k-step: a second write is a mapping error. */
    private static void put(float[] tile, int index, float value) {
        if (!Float.isNaN(tile[index])) {
            throw new AssertionError("shared index " + index + " staged twice");
        }
        tile[index] = value;
    }

    /** {@code out[t * outStride + r]} for the launch {@link LinearKernels#mmaGeometry} gives; unwritten outputs stay NaN. */
    static float[] run(float[] x, int xStride, StagedWeights weights, int outStride, int tokens, int rows, int cols) {
        LaunchGeometry g = LinearKernels.mmaGeometry(tokens, rows, cols);
        float[] out = new float[tokens * outStride];
        Arrays.fill(out, Float.NaN);
        for (int bx = 0; bx < g.gridX(); bx++) {
            for (int by = 0; by < g.gridY(); by++) {
                block(x, xStride, weights, out, outStride, tokens, rows, cols, bx * 128, by * 128);
            }
        }
        return out;
    }

    private static void block(float[] x, int xStride, StagedWeights weights, float[] out, int outStride, int tokens, int rows,
                              int cols, int m0, int n0) {
        float[][][][][] acc = new float[8][32][4][4][4];
        for (int k0 = 0; k0 < cols; k0 += LinearKernels.MMA_TILE_COLS) {
            float[] xs = new float[128 * STRIDE];
            float[] ws = new float[128 * STRIDE];
            Arrays.fill(xs, Float.NaN);
            Arrays.fill(ws, Float.NaN);
            for (int tid = 0; tid < THREADS; tid++) {
                for (int i = 0; i < 4; i++) {
                    int idx = tid + i * THREADS;
                    int token = m0 + (idx >> 3);
                    int col = k0 + (idx & 7) * 4;
                    for (int e = 0; e < 4; e++) {
                        float v = token < tokens && col + e < cols ? x[token * xStride + col + e] : 0f;
                        put(xs, (idx >> 3) * STRIDE + (idx & 7) * 4 + e, ScalarDot.roundToBf16(v));
                    }
                }
            }
            weights.stage(ws, rows, cols, n0, k0);
            for (int warp = 0; warp < 8; warp++) {
                kStep(xs, ws, warp >> 2, warp & 3, acc[warp]);
            }
        }
        for (int warp = 0; warp < 8; warp++) {
            for (int lane = 0; lane < 32; lane++) {
                int gr = lane >> 2;
                int q = lane & 3;
                for (int mi = 0; mi < 4; mi++) {
                    for (int ni = 0; ni < 4; ni++) {
                        for (int e = 0; e < 4; e++) {
                            int token = m0 + (warp >> 2) * 64 + mi * 16 + gr + (e >> 1) * 8;
                            int row = n0 + (warp & 3) * 32 + ni * 8 + 2 * q + (e & 1);
                            if (token < tokens && row < rows) {
                                if (!Float.isNaN(out[token * outStride + row])) {
                                    throw new AssertionError("output (" + token + ", " + row + ") written twice");
                                }
                                out[token * outStride + row] = acc[warp][lane][mi][ni][e];
                            }
                        }
                    }
                }
            }
        }
    }

    private static void kStep(float[] xs, float[] ws, int warpM, int warpN, float[][][][] acc) {
        for (int ks = 0; ks < 32; ks += 16) {
            float[][][][] b = new float[32][4][2][];
            for (int p = 0; p < 2; p++) {
                int[] address = new int[32];
                for (int lane = 0; lane < 32; lane++) {
                    int row = warpN * 32 + p * 16 + (lane & 7) + ((lane >> 4) << 3);
                    int col = ks + ((lane >> 3) & 1) * 8;
                    address[lane] = row * STRIDE + col;
                }
                float[][][] r = ldmatrixX4(ws, address);
                for (int lane = 0; lane < 32; lane++) {
                    b[lane][2 * p][0] = r[lane][0];
                    b[lane][2 * p][1] = r[lane][1];
                    b[lane][2 * p + 1][0] = r[lane][2];
                    b[lane][2 * p + 1][1] = r[lane][3];
                }
            }
            for (int mi = 0; mi < 4; mi++) {
                int[] address = new int[32];
                for (int lane = 0; lane < 32; lane++) {
                    address[lane] = (warpM * 64 + mi * 16 + (lane & 15)) * STRIDE + ks + (lane >> 4) * 8;
                }
                float[][][] a = ldmatrixX4(xs, address);
                for (int ni = 0; ni < 4; ni++) {
                    mma(a, b, ni, acc, mi);
                }
            }
        }
    }

    /** ldmatrix.x4: result[lane][matrix] = {row lane/4 of matrix, elements 2(lane%4), +1}. */
    private static float[][][] ldmatrixX4(float[] tile, int[] rowAddress) {
        float[][][] r = new float[32][4][];
        for (int lane = 0; lane < 32; lane++) {
            for (int m = 0; m < 4; m++) {
                int start = rowAddress[m * 8 + lane / 4];
                if (start % 8 != 0) {
                    throw new AssertionError("ldmatrix row address " + start + " is not 16-byte aligned");
                }
                r[lane][m] = new float[] {tile[start + 2 * (lane % 4)], tile[start + 2 * (lane % 4) + 1]};
            }
        }
        return r;
    }

    /** mma.m16n8k16.row.col for one warp: D = A B + C with the documented fragment layouts. */
    private static void mma(float[][][] a, float[][][][] b, int ni, float[][][][] acc, int mi) {
        float[][] am = new float[16][16];
        float[][] bm = new float[16][8];
        for (int lane = 0; lane < 32; lane++) {
            int g = lane >> 2;
            int q = lane & 3;
            for (int j = 0; j < 2; j++) {
                am[g][2 * q + j] = a[lane][0][j];
                am[g + 8][2 * q + j] = a[lane][1][j];
                am[g][2 * q + 8 + j] = a[lane][2][j];
                am[g + 8][2 * q + 8 + j] = a[lane][3][j];
                bm[2 * q + j][g] = b[lane][ni][0][j];
                bm[2 * q + 8 + j][g] = b[lane][ni][1][j];
            }
        }
        for (int lane = 0; lane < 32; lane++) {
            int g = lane >> 2;
            int q = lane & 3;
            for (int e = 0; e < 4; e++) {
                int row = g + (e >> 1) * 8;
                int col = 2 * q + (e & 1);
                double sum = acc[lane][mi][ni][e];
                for (int k = 0; k < 16; k++) {
                    sum += (double) am[row][k] * bm[k][col];
                }
                acc[lane][mi][ni][e] = (float) sum;
            }
        }
    }
}
