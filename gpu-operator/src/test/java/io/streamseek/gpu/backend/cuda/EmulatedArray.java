package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.driver.DevicePointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One allocation of {@link EmulatedMemory}: a little-endian host buffer at a device address.
 * Copies are synchronous (an emulated launch has finished when it returns), so the ordering
 * {@link DeviceArray} promises holds trivially.
 */
final class EmulatedArray implements DeviceArray {

    private final EmulatedMemory memory;
    private final long address;
    private final long bytes;
    private final String purpose;
    private final ByteBuffer data;
    private boolean closed;

    EmulatedArray(EmulatedMemory memory, long address, long bytes, String purpose) {
        this.memory = memory;
        this.address = address;
        this.bytes = bytes;
        this.purpose = purpose;
        this.data = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public long address() {
        return address;
    }

    @Override
    public long bytes() {
        return bytes;
    }

    String purpose() {
        return purpose;
    }

    @Override
    public DevicePointer at(long byteOffset) {
        checkOpen();
        if (byteOffset < 0 || byteOffset >= bytes) {
            throw new IndexOutOfBoundsException("byte offset " + byteOffset + " is outside " + describe());
        }
        return new DevicePointer(address + byteOffset);
    }

    @Override
    public void upload(float[] values) {
        checkCopy(values.length, 4L * values.length, "upload");
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
    }

    @Override
    public void upload(short[] values) {
        checkCopy(values.length, 2L * values.length, "upload");
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(values);
    }

    @Override
    public void upload(byte[] values) {
        checkCopy(values.length, values.length, "upload");
        data.duplicate().put(values);
    }

    @Override
    public void upload(long[] values) {
        checkCopy(values.length, 8L * values.length, "upload");
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(values);
    }

    @Override
    public void upload(int[] values, int count) {
        checkHost(values.length, count);
        checkCopy(count, 4L * count, "upload");
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(values, 0, count);
    }

    @Override
    public void download(float[] values, int count) {
        checkHost(values.length, count);
        checkCopy(count, 4L * count, "download");
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values, 0, count);
    }

    @Override
    public void download(int[] values, int count) {
        checkHost(values.length, count);
        checkCopy(count, 4L * count, "download");
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(values, 0, count);
    }

    @Override
    public void copyFrom(DeviceArray source, long sourceOffset, long bytes) {
        checkOpen();
        EmulatedArray from = (EmulatedArray) source;
        if (bytes > this.bytes || sourceOffset + bytes > from.bytes) {
            throw new IllegalArgumentException("a copy of " + bytes + " bytes from " + from + " at " + sourceOffset + " into " + this
                    + " overruns one of them");
        }
        System.arraycopy(from.data().array(), (int) sourceOffset, data.array(), 0, (int) bytes);
    }

    @Override
    public void zero(long bytes) {
        checkOpen();
        if (bytes > this.bytes) {
            throw new IllegalArgumentException("zeroing " + bytes + " bytes overruns " + this);
        }
        java.util.Arrays.fill(data.array(), 0, (int) bytes, (byte) 0);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            memory.release(this);
        }
    }

    /** The backing buffer, position-independent (absolute gets and puts only). */
    ByteBuffer data() {
        checkOpen();
        return data;
    }

    /** The byte offset of {@code absolute}, an address inside this allocation. */
    int offset(long absolute) {
        return (int) (absolute - address);
    }

    String describe() {
        return "the " + bytes + "-byte allocation for " + purpose + " at " + EmulatedMemory.hex(address);
    }

    private void checkHost(int length, int count) {
        if (count < 0 || count > length) {
            throw new IndexOutOfBoundsException("copying " + count + " values of a " + length + "-element host array for " + purpose);
        }
    }

    private void checkCopy(int count, long copyBytes, String what) {
        checkOpen();
        if (copyBytes > bytes) {
            throw new IndexOutOfBoundsException("an " + what + " of " + count + " values (" + copyBytes + " bytes) overruns "
                    + describe());
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(describe() + " was freed");
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
