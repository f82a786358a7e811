package io.streamseek.gpu.cache;

/**
 * The memory of the paged MLA cache: one array per block holding, for every layer, the latent rows
 * ({@code kv_lora_rank} normalised {@code c_kv} + {@code qk_rope_head_dim} roped {@code k_pe}) of
 * {@code block_size} consecutive tokens. Sized from a byte budget, so it can never outgrow it.
 */
public final class PagedLatentStore {

    private final int numLayers;
    private final int rowWidth;
    private final int blockSize;
    private final float[][] blocks; // [block][layer × block_size × row_width]

    /**
     * @param budgetBytes the memory the cache may use; at least one block must fit
     */
    public PagedLatentStore(int numLayers, int rowWidth, int blockSize, long budgetBytes) {
        long blockBytes = bytesPerBlock(numLayers, rowWidth, blockSize);
        long count = budgetBytes / blockBytes;
        if (count < 1) {
            throw new IllegalArgumentException("a latent cache budget of " + budgetBytes + " bytes holds no block: one block of "
                    + blockSize + " tokens needs " + blockBytes + " bytes (" + numLayers + " layers × " + rowWidth + " values × 4 bytes per token)");
        }
        if (count > Integer.MAX_VALUE - 8) {
            count = Integer.MAX_VALUE - 8;
        }
        this.numLayers = numLayers;
        this.rowWidth = rowWidth;
        this.blockSize = blockSize;
        this.blocks = new float[(int) count][];
    }

    public static long bytesPerBlock(int numLayers, int rowWidth, int blockSize) {
        return 4L * numLayers * rowWidth * blockSize;
    }

    public int numBlocks() {
        return blocks.length;
    }

    public int blockSize() {
        return blockSize;
    }

    public int rowWidth() {
        return rowWidth;
    }

    public int numLayers() {
        return numLayers;
    }

    /** The array of one block, allocated on first use so an idle budget costs no heap. */
    float[] block(int block) {
        float[] data = blocks[block];
        if (data == null) {
            data = new float[numLayers * blockSize * rowWidth];
            blocks[block] = data;
        }
        return data;
    }

    int offset(int layer, int slot) {
        return (layer * blockSize + slot) * rowWidth;
    }

    /** Bytes each cached token takes over all layers. */
    public long bytesPerToken() {
        return 4L * numLayers * rowWidth;
    }
}
