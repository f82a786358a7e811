package io.streamseek.gpu.backend.cuda.driver;

/**
 * A device address passed to a kernel's pointer parameter: a whole {@link DeviceBuffer}'s, or a
 * sub-range's from {@link DeviceBuffer#at(long)}, which checks it lies inside the buffer.
 *
 * @param address the virtual device address (0 only for {@link #NULL})
 */
public record DevicePointer(long address) {

    /** The null pointer, for kernels' optional inputs (for instance an absent bias). */
    public static final DevicePointer NULL = new DevicePointer(0);

    @Override
    public String toString() {
        return address == 0 ? "NULL" : "0x" + Long.toHexString(address);
    }
}
