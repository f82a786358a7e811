package io.streamseek.gpu.cache;

/** A contiguous {@link LatentCache} for one sequence, allocated for its full capacity up front. */
public final class SequenceLatentCache implements LatentCache {

    private final int rowWidth;
    private final int capacity;
    private final float[][] layers; // [layer][capacity × rowWidth]
    private int length;

    public SequenceLatentCache(int numLayers, int rowWidth, int capacity) {
        long floats = (long) capacity * rowWidth;
        if (floats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a contiguous cache of " + capacity + " tokens × " + rowWidth
                    + " values exceeds one Java array; use a smaller context");
        }
        this.rowWidth = rowWidth;
        this.capacity = capacity;
        this.layers = new float[numLayers][(int) floats];
    }

    @Override
    public int rowWidth() {
        return rowWidth;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public float[] rowArray(int layer, int position) {
        return layers[layer];
    }

    @Override
    public int rowOffset(int layer, int position) {
        return position * rowWidth;
    }

    @Override
    public void extendTo(int newLength) {
        if (newLength > capacity) {
            throw new IllegalStateException("the sequence needs " + newLength + " cached tokens but its cache holds " + capacity);
        }
        length = Math.max(length, newLength);
    }

    @Override
    public void truncate(int newLength) {
        length = Math.min(length, newLength);
    }

    /** Bytes this cache holds per token over all layers. */
    public long bytesPerToken() {
        return 4L * rowWidth * layers.length;
    }
}
