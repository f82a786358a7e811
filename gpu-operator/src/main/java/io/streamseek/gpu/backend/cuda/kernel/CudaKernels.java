package io.streamseek.gpu.backend.cuda.kernel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Every kernel the CUDA backend launches, by module: what CI checks the committed PTX against. */
public final class CudaKernels {

    private CudaKernels() {
    }

    /** The PTX modules, one per {@code .cu} file under {@code src/main/cuda}. */
    public static List<String> modules() {
        return all().stream().map(KernelSignature::module).distinct().sorted().toList();
    }

    public static List<KernelSignature> all() {
        List<KernelSignature> all = new ArrayList<>();
        all.addAll(ElementwiseKernels.signatures());
        all.addAll(LinearKernels.signatures());
        all.addAll(MlaKernels.signatures());
        all.addAll(MoeKernels.signatures());
        return Collections.unmodifiableList(all);
    }
}
