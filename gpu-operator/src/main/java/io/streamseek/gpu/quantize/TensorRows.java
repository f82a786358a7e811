package io.streamseek.gpu.quantize;

import io.streamseek.gpu.backend.cpu.Linear;

/**
 * A tensor to write, as rows of f32 values produced one at a time, so that converting a 31 GB
 * checkpoint never holds more than one tensor's source and output: GGUF's {@code dims} are
 * {@code [cols, rows]} (innermost first), or {@code [cols, rows / n, n]} for stacked experts.
 */
interface TensorRows {

    int rows();

    int cols();

    /** Writes row {@code r}'s {@link #cols()} values into {@code out}. */
    void row(int r, float[] out);

    /** A linear weight's rows, dequantized exactly from its stored format. */
    static TensorRows of(Linear w) {
        return new TensorRows() {
            public int rows() {
                return w.rows();
            }

            public int cols() {
                return w.cols();
            }

            public void row(int r, float[] out) {
                for (int c = 0; c < w.cols(); c++) {
                    out[c] = w.get(r, c);
                }
            }
        };
    }

    /** A 1-D tensor: one row. */
    static TensorRows of(float[] values) {
        return new TensorRows() {
            public int rows() {
                return 1;
            }

            public int cols() {
                return values.length;
            }

            public void row(int r, float[] out) {
                System.arraycopy(values, 0, out, 0, values.length);
            }
        };
    }

    /** Equal-shaped weights one after another: routed experts stacked into one {@code *_exps} tensor. */
    static TensorRows stacked(Linear[] parts) {
        int rowsEach = parts[0].rows();
        return new TensorRows() {
            public int rows() {
                return rowsEach * parts.length;
            }

            public int cols() {
                return parts[0].cols();
            }

            public void row(int r, float[] out) {
                Linear w = parts[r / rowsEach];
                for (int c = 0; c < w.cols(); c++) {
                    out[c] = w.get(r % rowsEach, c);
                }
            }
        };
    }

    /**
     * The split MLA layout's key half {@code attn_k_b}: per head, {@code W_k[h]ᵀ}
     * {@code [kv_lora_rank, qk_nope]} from {@code kv_b_proj} {@code [heads × (nope + v), kv_lora_rank]}.
     */
    static TensorRows keyHalf(Linear kvB, int heads, int nope, int v) {
        int lora = kvB.cols();
        return new TensorRows() {
            public int rows() {
                return heads * lora;
            }

            public int cols() {
                return nope;
            }

            public void row(int r, float[] out) {
                int h = r / lora;
                int c = r % lora;
                for (int d = 0; d < nope; d++) {
                    out[d] = kvB.get(h * (nope + v) + d, c);
                }
            }
        };
    }

    /** The split MLA layout's value half {@code attn_v_b}: per head {@code W_v[h]} {@code [v_head_dim, kv_lora_rank]}. */
    static TensorRows valueHalf(Linear kvB, int heads, int nope, int v) {
        int lora = kvB.cols();
        return new TensorRows() {
            public int rows() {
                return heads * v;
            }

            public int cols() {
                return lora;
            }

            public void row(int r, float[] out) {
                int h = r / v;
                int j = r % v;
                for (int c = 0; c < lora; c++) {
                    out[c] = kvB.get(h * (nope + v) + nope + j, c);
                }
            }
        };
    }
}
