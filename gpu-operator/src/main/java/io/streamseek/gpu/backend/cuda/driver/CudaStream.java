package io.streamseek.gpu.backend.cuda.driver;

import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * An ordered queue of copies and launches on the GPU. Created with the default flags, so it also
 * orders against the legacy default stream that the synchronous copies use.
 */
public final class CudaStream implements AutoCloseable {

    private final CudaContext context;
    private final CUstream handle;
    private boolean closed;

    CudaStream(CudaContext context) {
        this.context = context;
        context.makeCurrent();
        this.handle = new CUstream();
        JCudaDriver.cuStreamCreate(handle, 0);
    }

    CUstream handle() {
        if (closed) {
            throw new IllegalStateException("the CUDA stream was closed");
        }
        context.makeCurrent();
        return handle;
    }

    /** Waits until everything queued so far has finished; a kernel's fault surfaces here. */
    public void synchronize() {
        JCudaDriver.cuStreamSynchronize(handle());
    }

    @Override
    public void close() {
        if (!closed) {
            context.makeCurrent();
            JCudaDriver.cuStreamDestroy(handle);
            closed = true;
        }
    }
}
