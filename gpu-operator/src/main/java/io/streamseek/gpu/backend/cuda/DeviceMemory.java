package io.streamseek.gpu.backend.cuda;

/**
 * Where the CUDA runner keeps its weights, cache and activations: a GPU's memory behind one
 * stream ({@link CudaMemory}), or, in tests, an emulation in host memory. Copies to and from the
 * host are ordered with the kernels launched on the same device.
 */
interface DeviceMemory extends AutoCloseable {

    /** {@code bytes} of device memory; {@code purpose} names it in an out-of-memory error. */
    DeviceArray allocate(long bytes, String purpose);

    /** Waits until every copy and launch issued so far has finished. */
    void synchronize();

    /** Free device memory now, as the driver reports it. */
    long freeBytes();

    @Override
    void close();
}
