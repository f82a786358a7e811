package io.streamseek.gpu.backend.cuda.driver;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * Device memory ({@code cuMemAlloc}) and the copies to and from it. Offsets into the buffer are in
 * bytes, into host arrays in elements; every range is checked before the driver sees it.
 *
 * <p>Copies without a stream are synchronous. Copies with a stream are ordered on it; from Java
 * arrays the driver stages the data (host-to-device returns once the array is read, device-to-host
 * once the data has arrived), so the array is free again when the call returns and only
 * {@link PinnedBuffer} copies are truly asynchronous.
 */
public final class DeviceBuffer implements AutoCloseable {

    private final CudaContext context;
    private final CUdeviceptr pointer;
    private final long address;
    private final long bytes;
    private final String purpose;
    private boolean closed;

    DeviceBuffer(CudaContext context, CUdeviceptr pointer, long address, long bytes, String purpose) {
        this.context = context;
        this.pointer = pointer;
        this.address = address;
        this.bytes = bytes;
        this.purpose = purpose;
    }

    static DeviceBuffer allocate(CudaContext context, long bytes, String purpose) {
        AddressablePointer pointer = new AddressablePointer();
        JCudaDriver.cuMemAlloc(pointer, bytes);
        return new DeviceBuffer(context, pointer, pointer.address(), bytes, purpose);
    }

    /** The device address of the first byte. */
    public long address() {
        checkOpen();
        return address;
    }

    public long bytes() {
        return bytes;
    }

    public String purpose() {
        return purpose;
    }

    /** The whole buffer as a kernel argument. */
    public DevicePointer pointer() {
        return new DevicePointer(address());
    }

    /** The address {@code byteOffset} bytes in, which must lie inside the buffer. */
    public DevicePointer at(long byteOffset) {
        if (byteOffset < 0 || byteOffset >= bytes) {
            throw new IndexOutOfBoundsException("byte offset " + byteOffset + " is outside the " + bytes + "-byte device buffer for " + purpose);
        }
        return new DevicePointer(address() + byteOffset);
    }

    /** The address {@code byteOffset} bytes in, for a sub-range of {@code rangeBytes} that must lie inside the buffer. */
    public DevicePointer at(long byteOffset, long rangeBytes) {
        checkDeviceRange(byteOffset, rangeBytes, "a sub-range");
        return new DevicePointer(address() + byteOffset);
    }

    // Host to device.

    public void upload(float[] src, int from, int count, long byteOffset) {
        copyIn(Pointer.to(src), src.length, from, count, Float.BYTES, byteOffset, null, "floats");
    }

    public void upload(float[] src, int from, int count, long byteOffset, CudaStream stream) {
        copyIn(Pointer.to(src), src.length, from, count, Float.BYTES, byteOffset, stream, "floats");
    }

    public void upload(int[] src, int from, int count, long byteOffset) {
        copyIn(Pointer.to(src), src.length, from, count, Integer.BYTES, byteOffset, null, "ints");
    }

    public void upload(int[] src, int from, int count, long byteOffset, CudaStream stream) {
        copyIn(Pointer.to(src), src.length, from, count, Integer.BYTES, byteOffset, stream, "ints");
    }

    /** Device addresses (or any 64-bit values), e.g. a table of per-expert weight addresses. */
    public void upload(long[] src, int from, int count, long byteOffset) {
        copyIn(Pointer.to(src), src.length, from, count, Long.BYTES, byteOffset, null, "longs");
    }

    public void upload(short[] src, int from, int count, long byteOffset) {
        copyIn(Pointer.to(src), src.length, from, count, Short.BYTES, byteOffset, null, "shorts");
    }

    public void upload(short[] src, int from, int count, long byteOffset, CudaStream stream) {
        copyIn(Pointer.to(src), src.length, from, count, Short.BYTES, byteOffset, stream, "shorts");
    }

    public void upload(byte[] src, int from, int count, long byteOffset) {
        copyIn(Pointer.to(src), src.length, from, count, 1, byteOffset, null, "bytes");
    }

    public void upload(byte[] src, int from, int count, long byteOffset, CudaStream stream) {
        copyIn(Pointer.to(src), src.length, from, count, 1, byteOffset, stream, "bytes");
    }

    /** Copies {@code count} bytes of {@code src} from {@code srcOffset}; with a stream, asynchronously. */
    public void upload(PinnedBuffer src, long srcOffset, long count, long byteOffset, CudaStream stream) {
        checkRange("pinned buffer", src.bytes(), srcOffset, count, "bytes");
        checkDeviceRange(byteOffset, count, "a copy of " + count + " bytes");
        if (count == 0) {
            return;
        }
        if (stream == null) {
            JCudaDriver.cuMemcpyHtoD(device(byteOffset), src.pointer(srcOffset), count);
        } else {
            JCudaDriver.cuMemcpyHtoDAsync(device(byteOffset), src.pointer(srcOffset), count, stream.handle());
        }
    }

    // Device to host.

    public void download(float[] dst, int from, int count, long byteOffset) {
        copyOut(Pointer.to(dst), dst.length, from, count, Float.BYTES, byteOffset, null, "floats");
    }

    public void download(float[] dst, int from, int count, long byteOffset, CudaStream stream) {
        copyOut(Pointer.to(dst), dst.length, from, count, Float.BYTES, byteOffset, stream, "floats");
    }

    public void download(int[] dst, int from, int count, long byteOffset) {
        copyOut(Pointer.to(dst), dst.length, from, count, Integer.BYTES, byteOffset, null, "ints");
    }

    public void download(int[] dst, int from, int count, long byteOffset, CudaStream stream) {
        copyOut(Pointer.to(dst), dst.length, from, count, Integer.BYTES, byteOffset, stream, "ints");
    }

    public void download(short[] dst, int from, int count, long byteOffset) {
        copyOut(Pointer.to(dst), dst.length, from, count, Short.BYTES, byteOffset, null, "shorts");
    }

    public void download(short[] dst, int from, int count, long byteOffset, CudaStream stream) {
        copyOut(Pointer.to(dst), dst.length, from, count, Short.BYTES, byteOffset, stream, "shorts");
    }

    public void download(byte[] dst, int from, int count, long byteOffset) {
        copyOut(Pointer.to(dst), dst.length, from, count, 1, byteOffset, null, "bytes");
    }

    public void download(byte[] dst, int from, int count, long byteOffset, CudaStream stream) {
        copyOut(Pointer.to(dst), dst.length, from, count, 1, byteOffset, stream, "bytes");
    }

    /** Copies {@code count} bytes to {@code dst} at {@code dstOffset}; with a stream, asynchronously (synchronize before reading). */
    public void download(PinnedBuffer dst, long dstOffset, long count, long byteOffset, CudaStream stream) {
        checkRange("pinned buffer", dst.bytes(), dstOffset, count, "bytes");
        checkDeviceRange(byteOffset, count, "a copy of " + count + " bytes");
        if (count == 0) {
            return;
        }
        if (stream == null) {
            JCudaDriver.cuMemcpyDtoH(dst.pointer(dstOffset), device(byteOffset), count);
        } else {
            JCudaDriver.cuMemcpyDtoHAsync(dst.pointer(dstOffset), device(byteOffset), count, stream.handle());
        }
    }

    /** Sets every byte to zero. */
    /**
     * Copies {@code bytes} of {@code source} from {@code sourceOffset}, on another GPU (or this one),
     * to the start of this buffer, ordered on {@code stream} (this buffer's device). The driver uses
     * peer access where the GPUs have it and stages through the host where they do not.
     */
    public void copyFromPeer(DeviceBuffer source, long sourceOffset, long bytes, CudaStream stream) {
        checkDeviceRange(0, bytes, "a peer copy of " + bytes + " bytes");
        source.checkDeviceRange(sourceOffset, bytes, "a peer copy of " + bytes + " bytes");
        context.makeCurrent();
        CUdeviceptr from = sourceOffset == 0 ? source.pointer : source.pointer.withByteOffset(sourceOffset);
        JCudaDriver.cuMemcpyPeerAsync(pointer, context.handle(), from, source.context.handle(), bytes, stream.handle());
    }

    public void zero() {
        zero(0, bytes, null);
    }

    /** Sets {@code count} bytes from {@code byteOffset} to zero; with a stream, ordered on it. */
    public void zero(long byteOffset, long count, CudaStream stream) {
        checkDeviceRange(byteOffset, count, "zeroing " + count + " bytes");
        if (count == 0) {
            return;
        }
        if (stream == null) {
            JCudaDriver.cuMemsetD8(device(byteOffset), (byte) 0, count);
        } else {
            JCudaDriver.cuMemsetD8Async(device(byteOffset), (byte) 0, count, stream.handle());
        }
    }

    private void copyIn(Pointer host, int length, int from, int count, int elementBytes, long byteOffset, CudaStream stream, String unit) {
        long size = checkCopy(length, from, count, elementBytes, byteOffset, unit);
        if (size == 0) {
            return;
        }
        Pointer src = host.withByteOffset((long) from * elementBytes);
        if (stream == null) {
            JCudaDriver.cuMemcpyHtoD(device(byteOffset), src, size);
        } else {
            JCudaDriver.cuMemcpyHtoDAsync(device(byteOffset), src, size, stream.handle());
        }
    }

    private void copyOut(Pointer host, int length, int from, int count, int elementBytes, long byteOffset, CudaStream stream, String unit) {
        long size = checkCopy(length, from, count, elementBytes, byteOffset, unit);
        if (size == 0) {
            return;
        }
        Pointer dst = host.withByteOffset((long) from * elementBytes);
        if (stream == null) {
            JCudaDriver.cuMemcpyDtoH(dst, device(byteOffset), size);
        } else {
            JCudaDriver.cuMemcpyDtoHAsync(dst, device(byteOffset), size, stream.handle());
        }
    }

    /** Checks both sides of an array copy and returns its size in bytes. */
    long checkCopy(int length, int from, int count, int elementBytes, long byteOffset, String unit) {
        checkRange("host array", length, from, count, unit);
        long size = (long) count * elementBytes;
        checkDeviceRange(byteOffset, size, "a copy of " + count + " " + unit + " (" + size + " bytes)");
        return size;
    }

    private static void checkRange(String what, long length, long from, long count, String unit) {
        if (from < 0 || count < 0 || from > length - count) {
            throw new IndexOutOfBoundsException("copying " + count + " " + unit + " from index " + from + " of a " + length + "-element "
                    + what + " overruns it");
        }
    }

    void checkDeviceRange(long byteOffset, long count, String what) {
        checkOpen();
        if (byteOffset < 0 || count < 0 || byteOffset > bytes - count) {
            throw new IndexOutOfBoundsException(what + " at byte offset " + byteOffset + " overruns the " + bytes
                    + "-byte device buffer for " + purpose);
        }
    }

    private CUdeviceptr device(long byteOffset) {
        context.makeCurrent();
        return byteOffset == 0 ? pointer : pointer.withByteOffset(byteOffset);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the device buffer for " + purpose + " was closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            context.makeCurrent();
            JCudaDriver.cuMemFree(pointer);
            closed = true;
        }
    }

    @Override
    public String toString() {
        return "device buffer for " + purpose + " (" + bytes + " bytes at 0x" + Long.toHexString(address) + ")";
    }

    /** A {@link CUdeviceptr} that tells its address, which JCuda keeps to itself. */
    private static final class AddressablePointer extends CUdeviceptr {

        long address() {
            return getNativePointer();
        }
    }
}
