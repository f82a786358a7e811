package io.streamseek.gpu.backend.cuda.driver;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;

/** A marker recorded on a stream, for timing the GPU work between two of them (benchmarks). */
public final class CudaEvent implements AutoCloseable {

    private final CudaContext context;
    private final CUevent handle;
    private boolean recorded;
    private boolean closed;

    CudaEvent(CudaContext context) {
        this.context = context;
        context.makeCurrent();
        this.handle = new CUevent();
        JCudaDriver.cuEventCreate(handle, CUevent_flags.CU_EVENT_DEFAULT);
    }

    /** Marks the point in {@code stream} after everything queued so far. */
    public void record(CudaStream stream) {
        JCudaDriver.cuEventRecord(handle(), stream.handle());
        recorded = true;
    }

    /** GPU time from this event to {@code end} in milliseconds (about 0.5 µs resolution); waits for {@code end}. */
    public float elapsedMillis(CudaEvent end) {
        if (!recorded || !end.recorded) {
            throw new IllegalStateException("both events must be recorded on a stream before timing between them");
        }
        JCudaDriver.cuEventSynchronize(end.handle());
        float[] millis = {0};
        JCudaDriver.cuEventElapsedTime(millis, handle(), end.handle());
        return millis[0];
    }

    private CUevent handle() {
        if (closed) {
            throw new IllegalStateException("the CUDA event was closed");
        }
        context.makeCurrent();
        return handle;
    }

    @Override
    public void close() {
        if (!closed) {
            context.makeCurrent();
            JCudaDriver.cuEventDestroy(handle);
            closed = true;
        }
    }
}
