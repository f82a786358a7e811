package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.driver.CudaOutOfMemoryException;

import java.util.Map;
import java.util.TreeMap;

/**
 * Device memory emulated in host memory, for running the CUDA backend's kernels in plain Java
 * ({@link EmulatedKernels}) without a GPU. Each allocation is a little-endian buffer at an address
 * of its own: unique, non-zero, aligned to {@value #ALIGNMENT} like {@code cuMemAlloc}'s, with at
 * least {@value #GAP} unused bytes after every allocation so that an index running past one lands
 * nowhere and fails with the allocation's name instead of silently reading its neighbour.
 *
 * <p>Kernels address memory as a GPU does, by address and element index; every access is resolved
 * to its allocation and bounds-checked.
 */
final class EmulatedMemory implements DeviceMemory {

    static final long ALIGNMENT = 256;
    /** Unused bytes between consecutive allocations. */
    static final long GAP = 4096;
    /** Where the first allocation goes: far from 0, so an offset applied to NULL does not resolve. */
    private static final long BASE = 0x7f00_0000_0000L;

    private final long capacityBytes;
    private final TreeMap<Long, EmulatedArray> live = new TreeMap<>();
    /** Every allocation ever made, so an access to a freed one says so. */
    private final TreeMap<Long, EmulatedArray> freed = new TreeMap<>();
    private long next = BASE;
    private long allocatedBytes;
    private EmulatedArray lastHit;

    /** An empty device of {@code capacityBytes} bytes. */
    EmulatedMemory(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacity must not be negative, got " + capacityBytes);
        }
        this.capacityBytes = capacityBytes;
    }

    @Override
    public EmulatedArray allocate(long bytes, String purpose) {
        if (bytes < 1) {
            throw new IllegalArgumentException("allocation for " + purpose + " needs at least 1 byte, got " + bytes);
        }
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("allocation for " + purpose + " of " + bytes
                    + " bytes is larger than the emulated device holds in one buffer (" + (Integer.MAX_VALUE - 8) + ")");
        }
        if (bytes > freeBytes()) {
            throw new CudaOutOfMemoryException("out of emulated device memory allocating " + bytes + " bytes for " + purpose + ": "
                    + freeBytes() + " of " + capacityBytes + " bytes free", bytes, freeBytes(), null);
        }
        EmulatedArray array = new EmulatedArray(this, next, bytes, purpose);
        live.put(next, array);
        allocatedBytes += bytes;
        next = align(next + bytes + GAP);
        return array;
    }

    @Override
    public void synchronize() {
        // Every emulated copy and launch has finished when it returns.
    }

    @Override
    public long freeBytes() {
        return capacityBytes - allocatedBytes;
    }

    long capacityBytes() {
        return capacityBytes;
    }

    /** Frees every allocation still live. */
    @Override
    public void close() {
        for (EmulatedArray array : live.values().toArray(EmulatedArray[]::new)) {
            array.close();
        }
    }

    void release(EmulatedArray array) {
        if (live.remove(array.address()) != null) {
            allocatedBytes -= array.bytes();
            freed.put(array.address(), array);
            if (lastHit == array) {
                lastHit = null;
            }
        }
    }

    /** The allocation holding {@code bytes} bytes at {@code address}, or an error that says where the address is. */
    EmulatedArray resolve(long address, long bytes) {
        EmulatedArray hit = lastHit;
        if (hit != null && address >= hit.address() && address - hit.address() <= hit.bytes() - bytes) {
            return hit;
        }
        Map.Entry<Long, EmulatedArray> below = live.floorEntry(address);
        if (below != null) {
            EmulatedArray array = below.getValue();
            long offset = address - array.address();
            if (offset <= array.bytes() - bytes) {
                lastHit = array;
                return array;
            }
            if (offset < array.bytes()) {
                throw new IndexOutOfBoundsException("a " + bytes + "-byte access at " + hex(address) + " overruns the end of "
                        + array.describe() + " (byte offset " + offset + ")");
            }
            if (offset < array.bytes() + GAP) {
                throw new IndexOutOfBoundsException("address " + hex(address) + " is " + (offset - array.bytes())
                        + " bytes past the end of " + array.describe() + " (byte offset " + offset + ")");
            }
        }
        Map.Entry<Long, EmulatedArray> gone = freed.floorEntry(address);
        if (gone != null && address - gone.getKey() < gone.getValue().bytes()) {
            throw new IllegalStateException("address " + hex(address) + " lies in " + gone.getValue().describe() + ", which was freed");
        }
        Map.Entry<Long, EmulatedArray> above = live.ceilingEntry(address);
        if (address == 0) {
            throw new IllegalArgumentException("a " + bytes + "-byte access through a NULL device pointer");
        }
        throw new IndexOutOfBoundsException("address " + hex(address) + " lies outside every allocation"
                + (above != null && address < above.getKey() ? " (" + (above.getKey() - address) + " bytes before "
                        + above.getValue().describe() + ")" : ""));
    }

    // ---- what the kernels read and write: element `index` of the array of that type at `address` ----

    float f32(long address, long index) {
        long at = address + 4 * index;
        EmulatedArray a = resolve(at, 4);
        return a.data().getFloat(a.offset(at));
    }

    void f32(long address, long index, float value) {
        long at = address + 4 * index;
        EmulatedArray a = resolve(at, 4);
        a.data().putFloat(a.offset(at), value);
    }

    int i32(long address, long index) {
        long at = address + 4 * index;
        EmulatedArray a = resolve(at, 4);
        return a.data().getInt(a.offset(at));
    }

    void i32(long address, long index, int value) {
        long at = address + 4 * index;
        EmulatedArray a = resolve(at, 4);
        a.data().putInt(a.offset(at), value);
    }

    /** An unsigned 16-bit value (a bf16 bit pattern), as a short. */
    short u16(long address, long index) {
        long at = address + 2 * index;
        EmulatedArray a = resolve(at, 2);
        return a.data().getShort(a.offset(at));
    }

    void u16(long address, long index, short value) {
        long at = address + 2 * index;
        EmulatedArray a = resolve(at, 2);
        a.data().putShort(a.offset(at), value);
    }

    /** An unsigned byte (an E4M3 code), as a byte. */
    byte u8(long address, long index) {
        long at = address + index;
        EmulatedArray a = resolve(at, 1);
        return a.data().get(a.offset(at));
    }

    void u8(long address, long index, byte value) {
        long at = address + index;
        EmulatedArray a = resolve(at, 1);
        a.data().put(a.offset(at), value);
    }

    /** A 64-bit value (a device address in a table of them). */
    long u64(long address, long index) {
        long at = address + 8 * index;
        EmulatedArray a = resolve(at, 8);
        return a.data().getLong(a.offset(at));
    }

    void u64(long address, long index, long value) {
        long at = address + 8 * index;
        EmulatedArray a = resolve(at, 8);
        a.data().putLong(a.offset(at), value);
    }

    static String hex(long address) {
        return "0x" + Long.toHexString(address);
    }

    private static long align(long address) {
        return (address + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
}
