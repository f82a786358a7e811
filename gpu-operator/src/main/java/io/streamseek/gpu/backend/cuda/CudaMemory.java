package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.driver.CudaContext;
import io.streamseek.gpu.backend.cuda.driver.CudaDevice;
import io.streamseek.gpu.backend.cuda.driver.CudaStream;
import io.streamseek.gpu.backend.cuda.driver.DeviceBuffer;
import io.streamseek.gpu.backend.cuda.driver.DevicePointer;
import io.streamseek.gpu.backend.cuda.driver.PinnedBuffer;

/**
 * A GPU's memory behind one stream. Weights are uploaded synchronously, once; a step's control data
 * goes up asynchronously through a pinned buffer (reused: the step before has been read back, so
 * its copy is done), and read-backs come down through another, after a stream synchronisation.
 */
final class CudaMemory implements DeviceMemory {

    private final CudaContext context;
    private final CudaStream stream;
    private PinnedBuffer up;
    private PinnedBuffer down;

    CudaMemory(CudaDevice device) {
        this.context = device.openContext();
        try {
            context.makeCurrent();
            this.stream = context.newStream();
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
    }

    CudaContext context() {
        return context;
    }

    CudaStream stream() {
        return stream;
    }

    @Override
    public DeviceArray allocate(long bytes, String purpose) {
        return new Array(context.allocate(bytes, purpose));
    }

    @Override
    public void synchronize() {
        stream.synchronize();
    }

    @Override
    public long freeBytes() {
        return context.memoryInfo().free();
    }

    private PinnedBuffer staging(PinnedBuffer current, long bytes) {
        if (current != null && current.bytes() >= bytes) {
            return current;
        }
        if (current != null) {
            current.close();
        }
        return context.pinned(Math.max(bytes, 1 << 20));
    }

    @Override
    public void close() {
        context.makeCurrent();
        if (up != null) {
            up.close();
        }
        if (down != null) {
            down.close();
        }
        stream.close();
        context.close();
    }

    private final class Array implements DeviceArray {

        private final DeviceBuffer buffer;

        Array(DeviceBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public long address() {
            return buffer.address();
        }

        @Override
        public long bytes() {
            return buffer.bytes();
        }

        @Override
        public DevicePointer at(long byteOffset) {
            return buffer.at(byteOffset);
        }

        @Override
        public void upload(float[] values) {
            buffer.upload(values, 0, values.length, 0);
        }

        @Override
        public void upload(short[] values) {
            buffer.upload(values, 0, values.length, 0);
        }

        @Override
        public void upload(byte[] values) {
            buffer.upload(values, 0, values.length, 0);
        }

        @Override
        public void upload(long[] values) {
            buffer.upload(values, 0, values.length, 0);
        }

        @Override
        public void upload(int[] values, int count) {
            up = staging(up, 4L * count);
            up.buffer().asIntBuffer().put(0, values, 0, count);
            buffer.upload(up, 0, 4L * count, 0, stream);
        }

        @Override
        public void copyFrom(DeviceArray source, long sourceOffset, long bytes) {
            buffer.copyFromPeer(((Array) source).buffer, sourceOffset, bytes, stream);
        }

        @Override
        public void zero(long bytes) {
            buffer.zero(0, bytes, stream);
        }

        @Override
        public void download(float[] values, int count) {
            down = staging(down, 4L * count);
            buffer.download(down, 0, 4L * count, 0, stream);
            stream.synchronize();
            down.buffer().asFloatBuffer().get(0, values, 0, count);
        }

        @Override
        public void download(int[] values, int count) {
            down = staging(down, 4L * count);
            buffer.download(down, 0, 4L * count, 0, stream);
            stream.synchronize();
            down.buffer().asIntBuffer().get(0, values, 0, count);
        }

        @Override
        public void close() {
            buffer.close();
        }
    }
}
