package io.streamseek.gpu.backend.cuda.driver;

import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;
import io.streamseek.gpu.backend.cuda.kernel.LaunchGeometry;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;

/** One kernel of a loaded module, launched with arguments checked against its signature. */
public final class Kernel {

    private final CudaContext context;
    private final KernelSignature signature;
    private final CUfunction function;

    Kernel(CudaContext context, KernelSignature signature, CUfunction function) {
        this.context = context;
        this.signature = signature;
        this.function = function;
    }

    public KernelSignature signature() {
        return signature;
    }

    /**
     * Queues the kernel on {@code stream}. The arguments are checked first (see
     * {@link KernelArguments#pack}); errors inside the kernel surface at the next synchronisation.
     */
    public void launch(CudaStream stream, LaunchGeometry geometry, Object... args) {
        Pointer params = KernelArguments.pack(signature, args);
        context.makeCurrent();
        JCudaDriver.cuLaunchKernel(function, geometry.gridX(), geometry.gridY(), geometry.gridZ(), geometry.blockX(), geometry.blockY(),
                geometry.blockZ(), geometry.sharedBytes(), stream.handle(), params, null);
    }
}
