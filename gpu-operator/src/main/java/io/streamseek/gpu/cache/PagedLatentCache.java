package io.streamseek.gpu.cache;

/** One sequence's {@link LatentCache} over the shared {@link PagedLatentStore}, through its {@link BlockTable}. */
public final class PagedLatentCache implements LatentCache {

    private final PagedLatentStore store;
    private final BlockTable table;
    private int length;

    /** @param length tokens already cached (a reused prefix) */
    public PagedLatentCache(PagedLatentStore store, BlockTable table, int length) {
        this.store = store;
        this.table = table;
        this.length = length;
    }

    /** The sequence's blocks: where a device backend finds its rows in its own copy of the store. */
    public BlockTable blockTable() {
        return table;
    }

    @Override
    public int rowWidth() {
        return store.rowWidth();
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return table.size() * store.blockSize();
    }

    @Override
    public float[] rowArray(int layer, int position) {
        return store.block(table.block(position / store.blockSize()));
    }

    @Override
    public int rowOffset(int layer, int position) {
        return store.offset(layer, position % store.blockSize());
    }

    @Override
    public void extendTo(int newLength) {
        if (newLength > capacity()) {
            throw new IllegalStateException("the sequence needs " + newLength + " cached tokens but holds blocks for " + capacity()
                    + "; grow its block table first");
        }
        length = Math.max(length, newLength);
    }

    @Override
    public void truncate(int newLength) {
        length = Math.min(length, newLength);
    }
}
