package io.streamseek.gpu.backend.cuda.driver;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

/**
 * Page-locked host memory ({@code cuMemHostAlloc}): the GPU copies it without a staging copy and
 * asynchronously, so host code fills {@link #buffer()} and queues the copy on a stream. Must stay
 * open until the copies using it have finished.
 */
public final class PinnedBuffer implements AutoCloseable {

    private final CudaContext context;
    private final Pointer host;
    private final long bytes;
    private final ByteBuffer buffer;
    private boolean closed;

    PinnedBuffer(CudaContext context, Pointer host, long bytes) {
        this.context = context;
        this.host = host;
        this.bytes = bytes;
        this.buffer = host.getByteBuffer(0, bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The memory as a little-endian buffer (the GPU's byte order), position 0, limit {@link #bytes()}. */
    public ByteBuffer buffer() {
        checkOpen();
        return buffer;
    }

    public long bytes() {
        return bytes;
    }

    Pointer pointer(long byteOffset) {
        checkOpen();
        return host.withByteOffset(byteOffset);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the pinned buffer of " + bytes + " bytes was closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            context.makeCurrent();
            JCudaDriver.cuMemFreeHost(host);
            closed = true;
        }
    }
}
