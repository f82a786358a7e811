package io.streamseek.gpu.backend.cuda.kernel;

/**
 * Grid, block and dynamic shared memory of one kernel launch. Built by each kernel family's
 * geometry methods from the problem size, and checked here against the limits every GPU the PTX
 * targets shares (compute capability 8.0 and later), so a size the kernels were not written for is
 * refused with its numbers instead of failing inside the driver.
 */
public record LaunchGeometry(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes) {

    /** Threads per block on every supported GPU. */
    public static final int MAX_THREADS_PER_BLOCK = 1024;
    /** Largest {@code gridDim.y} and {@code gridDim.z}. */
    public static final int MAX_GRID_YZ = 65_535;
    /** Dynamic shared memory a launch may use without opting in per kernel (48 KiB). */
    public static final int DEFAULT_SHARED_BYTES = 48 * 1024;

    public LaunchGeometry {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || blockX < 1 || blockY < 1 || blockZ < 1) {
            throw new IllegalArgumentException("a launch needs at least one block of one thread, got grid (" + gridX + ", " + gridY
                    + ", " + gridZ + ") × block (" + blockX + ", " + blockY + ", " + blockZ + ")");
        }
        if ((long) blockX * blockY * blockZ > MAX_THREADS_PER_BLOCK) {
            throw new IllegalArgumentException("a block of " + (long) blockX * blockY * blockZ + " threads exceeds the "
                    + MAX_THREADS_PER_BLOCK + " a GPU runs");
        }
        if (gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ) {
            throw new IllegalArgumentException("grid (" + gridX + ", " + gridY + ", " + gridZ + ") exceeds " + MAX_GRID_YZ
                    + " blocks in y or z");
        }
        if (sharedBytes < 0 || sharedBytes > DEFAULT_SHARED_BYTES) {
            throw new IllegalArgumentException("a launch asks for " + sharedBytes + " bytes of dynamic shared memory; at most "
                    + DEFAULT_SHARED_BYTES + " are available without opting in");
        }
    }

    /** A one-dimensional grid of {@code blocks} blocks of {@code threads} threads. */
    public static LaunchGeometry linear(int blocks, int threads, int sharedBytes) {
        return new LaunchGeometry(blocks, 1, 1, threads, 1, 1, sharedBytes);
    }

    /** Blocks of {@code threads} threads covering {@code items} items, one item per thread. */
    public static LaunchGeometry cover(long items, int threads) {
        long blocks = Math.max(1, (items + threads - 1) / threads);
        if (blocks > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(items + " items need more than " + Integer.MAX_VALUE + " blocks");
        }
        return linear((int) blocks, threads, 0);
    }

    public long threads() {
        return (long) gridX * gridY * gridZ * blockX * blockY * blockZ;
    }
}
