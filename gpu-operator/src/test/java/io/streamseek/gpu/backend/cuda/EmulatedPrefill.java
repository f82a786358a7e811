package io.streamseek.gpu.backend.cuda;

/**
 * {@code mla_prefill_attention} emulated: MLA's naive attention of a prefill chunk over one
 * sequence's expanded keys and values, causal (token t of the chunk sits at position
 * {@code start_pos + t} and sees positions {@code 0 .. start_pos + t}).
 */
final class EmulatedPrefill {

    private EmulatedPrefill() {
    }

    /**
     * q [count rows of stride q_stride, heads × (nope + rope)], rope part already rotated;
     * keys_values [start_pos + count, heads × (nope + v)]; latent [start_pos + count, width];
     * attn [count rows of stride attn_stride, heads × v]. A key is [k_nope of the head from
     * keys_values, k_pe shared by all heads from the latent row]; the output is
     * Σ e^(s - M) · value / Σ e^(s - M), as the kernel divides at the end.
     */
    static void prefillAttention(EmulatedMemory m, EmulatedArgs a) {
        long q = a.ptr("q");
        int qStride = a.i32("q_stride");
        long keysValues = a.ptr("keys_values");
        long latent = a.ptr("latent");
        long attn = a.ptr("attn");
        int attnStride = a.i32("attn_stride");
        int count = a.i32("count");
        int startPos = a.i32("start_pos");
        int heads = a.i32("heads");
        int nope = a.i32("nope");
        int rope = a.i32("rope");
        int v = a.i32("v");
        int lora = a.i32("lora");
        int width = a.i32("width");
        float scale = a.f32("softmax_scale");
        int qk = nope + rope;
        long kvWidth = (long) heads * (nope + v);
        for (int t = 0; t < count; t++) {
            int visible = startPos + t + 1;
            for (int h = 0; h < heads; h++) {
                long query = q + 4 * ((long) t * qStride + (long) h * qk);
                float[] scores = new float[visible];
                float max = Float.NEGATIVE_INFINITY;
                for (int pos = 0; pos < visible; pos++) {
                    long key = keysValues + 4 * (pos * kvWidth + (long) h * (nope + v));
                    long kPe = latent + 4 * ((long) pos * width + lora);
                    float score = 0f;
                    for (int d = 0; d < nope; d++) {
                        score += m.f32(query, d) * m.f32(key, d);
                    }
                    for (int d = 0; d < rope; d++) {
                        score += m.f32(query, nope + d) * m.f32(kPe, d);
                    }
                    scores[pos] = score * scale;
                    max = Math.max(max, scores[pos]);
                }
                float sum = 0f;
                float[] out = new float[v];
                for (int pos = 0; pos < visible; pos++) {
                    float e = (float) Math.exp(scores[pos] - max);
                    sum += e;
                    long value = keysValues + 4 * (pos * kvWidth + (long) h * (nope + v) + nope);
                    for (int d = 0; d < v; d++) {
                        out[d] += e * m.f32(value, d);
                    }
                }
                for (int d = 0; d < v; d++) {
                    m.f32(attn, (long) t * attnStride + (long) h * v + d, out[d] / sum);
                }
            }
        }
    }
}
