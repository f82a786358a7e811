package io.streamseek.gpu.backend.cpu;

/**
 * Per-thread work arrays of the kernels: the f32 panel a batched block-format product dequantizes
 * into, and tiles for outputs that only partly fall in a thread's rows. Never shared between
 * threads; contents never outlive one kernel call.
 */
final class KernelScratch {

    private static final ThreadLocal<KernelScratch> OTHER_THREADS = ThreadLocal.withInitial(KernelScratch::new);

    /** {@link InterleavedBlocks}' panel: {@code PANEL_COLS} columns of two row vectors. */
    final float[] panel = new float[InterleavedBlocks.PANEL_FLOATS];
    /** A packed BF16 tile's outputs for up to four tokens, before the rows in range are copied out. */
    final float[] packedTile = new float[4 * TileDot.PACKED_TILE];
    private float[] tile = new float[64 * 64];

    /** The calling thread's scratch: a field of a {@link KernelThread}, else a thread-local. */
    static KernelScratch current() {
        return Thread.currentThread() instanceof KernelThread k ? k.scratch : OTHER_THREADS.get();
    }

    /** At least {@code length} floats, grown (and kept) when a call needs more. */
    float[] tile(int length) {
        if (tile.length < length) {
            tile = new float[Math.max(length, 2 * tile.length)];
        }
        return tile;
    }
}
