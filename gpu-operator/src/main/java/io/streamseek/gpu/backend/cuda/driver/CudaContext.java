package io.streamseek.gpu.backend.cuda.driver;

import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * A device's primary context (the one the driver shares per device within the process), and the
 * factory of everything that lives in it: device and pinned buffers, streams, events, modules.
 * Every call makes the context current on the calling thread first, so any thread may use it.
 * Closing releases the context: free buffers and modules before.
 */
public final class CudaContext implements AutoCloseable {

    /** The context each thread last made current (saves a driver call per copy or launch). */
    private static final ThreadLocal<CUcontext> CURRENT = new ThreadLocal<>();

    private final CudaDevice device;
    private final CUcontext handle;
    private boolean closed;

    private CudaContext(CudaDevice device, CUcontext handle) {
        this.device = device;
        this.handle = handle;
    }

    static CudaContext retainPrimary(CudaDevice device) {
        CUcontext context = new CUcontext();
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device.handle());
        return new CudaContext(device, context);
    }

    CUcontext handle() {
        return handle;
    }

    public CudaDevice device() {
        return device;
    }

    /** Binds this context to the calling thread (a no-op when it already is). */
    public void makeCurrent() {
        if (closed) {
            throw new IllegalStateException("the CUDA context of " + device + " was closed");
        }
        if (CURRENT.get() != handle) {
            JCudaDriver.cuCtxSetCurrent(handle);
            CURRENT.set(handle);
        }
    }

    /**
     * Allocates {@code bytes} of device memory.
     *
     * @param purpose what it holds ("latent cache", "layer 3 experts"), named in errors
     * @throws CudaOutOfMemoryException naming the purpose, the size and the memory left
     */
    public DeviceBuffer allocate(long bytes, String purpose) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("a device buffer for " + purpose + " needs a positive size, got " + bytes + " bytes");
        }
        makeCurrent();
        try {
            return DeviceBuffer.allocate(this, bytes, purpose);
        } catch (CudaException e) {
            if (!CudaErrors.is(e, CUresult.CUDA_ERROR_OUT_OF_MEMORY)) {
                throw e;
            }
            MemoryInfo memory = memoryInfo();
            throw new CudaOutOfMemoryException("out of GPU memory allocating " + bytes + " bytes (" + CudaErrors.gib(bytes) + ") for "
                    + purpose + " on " + device + ": " + memory, bytes, memory.free(), e);
        }
    }

    /** Free and total device memory now ({@code cuMemGetInfo}). */
    public MemoryInfo memoryInfo() {
        makeCurrent();
        long[] free = {0};
        long[] total = {0};
        JCudaDriver.cuMemGetInfo(free, total);
        return new MemoryInfo(free[0], total[0]);
    }

    /** Page-locked host memory: the host side of asynchronous copies. */
    public PinnedBuffer pinned(long bytes) {
        if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a pinned buffer holds 1 to " + Integer.MAX_VALUE + " bytes (one ByteBuffer), got " + bytes);
        }
        makeCurrent();
        Pointer host = new Pointer();
        JCudaDriver.cuMemHostAlloc(host, bytes, 0);
        return new PinnedBuffer(this, host, bytes);
    }

    public CudaStream newStream() {
        return new CudaStream(this);
    }

    public CudaEvent newEvent() {
        return new CudaEvent(this);
    }

    /** Loads the committed PTX of {@code module} (JIT-compiled by the driver for this GPU). */
    public KernelModule loadModule(String module) {
        makeCurrent();
        return KernelModule.load(this, module);
    }

    @Override
    public void close() {
        if (!closed) {
            JCudaDriver.cuDevicePrimaryCtxRelease(device.handle());
            if (CURRENT.get() == handle) {
                CURRENT.remove();
            }
            closed = true;
        }
    }

    /** Device memory in bytes. */
    public record MemoryInfo(long free, long total) {

        @Override
        public String toString() {
            return CudaErrors.gib(free) + " free of " + CudaErrors.gib(total) + " (" + free + " of " + total + " bytes)";
        }
    }
}
