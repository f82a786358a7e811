package io.streamseek.gpu.cache;

/**
 * The MLA cache of one sequence: per layer and token, only the normalised latent {@code c_kv}
 * ({@code kv_lora_rank} values) followed by the roped {@code k_pe} ({@code qk_rope_head_dim}
 * values) — never full keys and values. Attention reads rows in place through
 * {@link #rowArray}/{@link #rowOffset}, so a paged implementation can hand out its blocks.
 */
public interface LatentCache {

    /** Values per cached row: {@code kv_lora_rank + qk_rope_head_dim}. */
    int rowWidth();

    /** Tokens whose rows are cached, in every layer. */
    int length();

    /** Most tokens this cache can hold. */
    int capacity();

    /** The array holding the row of {@code position} in {@code layer}. */
    float[] rowArray(int layer, int position);

    /** Where that row starts in {@link #rowArray}. */
    int rowOffset(int layer, int position);

    /** Makes room for rows up to {@code length} tokens (exclusive) and counts them as cached. */
    void extendTo(int length);

    /** Forgets every row from {@code length} on. */
    void truncate(int length);
}
