package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.driver.DevicePointer;

/**
 * One allocation of {@link DeviceMemory}. Uploads are ordered before later launches; a download
 * waits for every launch before it, so its data is complete when it returns.
 */
interface DeviceArray extends AutoCloseable {

    long address();

    long bytes();

    /** The address {@code byteOffset} bytes in, bounds-checked. */
    DevicePointer at(long byteOffset);

    default DevicePointer pointer() {
        return at(0);
    }

    void upload(float[] values);

    void upload(short[] values);

    void upload(byte[] values);

    void upload(long[] values);

    /** The first {@code count} values of {@code values}: a step's control data, every step. */
    void upload(int[] values, int count);

    /**
     * Copies {@code bytes} of {@code source} from {@code sourceOffset}, an array of another device's
     * memory (or this one's), to the start of this array, ordered with this device's launches. The
     * source's device must have finished writing it ({@link DeviceMemory#synchronize}).
     */
    void copyFrom(DeviceArray source, long sourceOffset, long bytes);

    /** Sets the first {@code bytes} bytes to zero, ordered with the launches. */
    void zero(long bytes);

    /** Copies the first {@code count} floats back, after every launch before it has finished. */
    void download(float[] values, int count);

    /** Copies the first {@code count} ints back, after every launch before it has finished. */
    void download(int[] values, int count);

    @Override
    void close();
}
