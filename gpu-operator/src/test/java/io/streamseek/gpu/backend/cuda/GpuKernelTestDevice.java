package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.driver.CudaDriver;

/**
 * The GPU flavour of {@link KernelTestDevice}, for a {@code @RequiresGpu} test class: device 0's
 * {@link CudaMemory} and the real {@link DeviceKernels} on its stream, shared by the class's tests,
 * each test getting a fresh {@link KernelTestDevice} (its own random inputs and arrays) on it.
 *
 * <p>Nothing touches the driver before the first {@link #device(long)}, which a test calls from its
 * body: the {@code @RequiresGpu} check has run by then and reported a missing GPU with its reason,
 * so a class holding one of these in a static field loads fine on a machine without a GPU.
 */
final class GpuKernelTestDevice implements AutoCloseable {

    private CudaMemory memory;
    private DeviceKernels kernels;

    /** A test's device on the shared GPU memory, opened (device 0) on first use; close it after the test. */
    KernelTestDevice device(long seed) {
        if (memory == null) {
            CudaMemory opened = new CudaMemory(CudaDriver.load().device(0));
            kernels = new DeviceKernels(opened.context(), opened.stream());
            memory = opened;
        }
        return new KernelTestDevice(memory, kernels, seed);
    }

    /** Closes the memory (context, stream, staging buffers) if a test opened it; call after the class. */
    @Override
    public void close() {
        if (memory != null) {
            memory.close();
            memory = null;
            kernels = null;
        }
    }
}
