package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.driver.CudaDriver;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The GPU flavour of {@link KernelTestDevice}, for a {@code @RequiresGpu} test class that registers
 * it as a static {@code @RegisterExtension}: device 0's {@link CudaMemory} and the real
 * {@link DeviceKernels} on its stream, shared by the class's tests; each test gets one
 * {@link KernelTestDevice} (its own random inputs and arrays), freed after it, and the memory is
 * closed after the class.
 *
 * <p>Nothing touches the driver before the first {@link #device(long)}, which a test calls from its
 * body: the {@code @RequiresGpu} check has run by then and reported a missing GPU with its reason,
 * so a class holding one of these loads fine on a machine without a GPU.
 */
final class GpuKernelTestDevice implements AfterEachCallback, AfterAllCallback {

    private CudaMemory memory;
    private DeviceKernels kernels;
    private KernelTestDevice current;

    /** The running test's device on the shared GPU memory, opened (device 0) on first use. */
    KernelTestDevice device(long seed) {
        if (memory == null) {
            CudaMemory opened = new CudaMemory(CudaDriver.load().device(0));
            kernels = new DeviceKernels(opened.context(), opened.stream());
            memory = opened;
        }
        if (current == null) {
            current = new KernelTestDevice(memory, kernels, seed);
        }
        return current;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (current != null) {
            current.close();
            current = null;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (memory != null) {
            memory.close();
            memory = null;
            kernels = null;
        }
    }
}
