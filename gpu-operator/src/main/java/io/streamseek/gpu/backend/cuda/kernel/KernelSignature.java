package io.streamseek.gpu.backend.cuda.kernel;

import java.util.List;

/**
 * The host side of one {@code extern "C" __global__} kernel: the PTX module it is compiled into and
 * its parameters, in order. Launches are checked against it before they reach the driver, and the
 * committed PTX is checked against it in CI (a kernel whose parameters changed on one side only
 * fails a test, not a launch on somebody's GPU).
 *
 * @param module the PTX resource it lives in, without {@code .ptx} (one per {@code .cu} file)
 * @param name the kernel's (unmangled) name
 * @param params its parameters, in declaration order
 */
public record KernelSignature(String module, String name, List<Param> params) {

    public KernelSignature {
        params = List.copyOf(params);
    }

    public static KernelSignature of(String module, String name, Param... params) {
        return new KernelSignature(module, name, List.of(params));
    }

    /** One kernel parameter: its name in the CUDA source and its type. */
    public record Param(String name, Type type) {
    }

    /** Parameter types a launch passes, with the PTX type nvcc declares each as. */
    public enum Type {
        /** A device pointer of any element type: {@code .param .u64}. */
        PTR(".u64"),
        /** A 32-bit {@code int}: {@code .param .u32}. */
        INT(".u32"),
        /** A 32-bit {@code float}: {@code .param .f32}. */
        FLOAT(".f32");

        private final String ptxType;

        Type(String ptxType) {
            this.ptxType = ptxType;
        }

        public String ptxType() {
            return ptxType;
        }
    }

    public static Param ptr(String name) {
        return new Param(name, Type.PTR);
    }

    public static Param i32(String name) {
        return new Param(name, Type.INT);
    }

    public static Param f32(String name) {
        return new Param(name, Type.FLOAT);
    }
}
