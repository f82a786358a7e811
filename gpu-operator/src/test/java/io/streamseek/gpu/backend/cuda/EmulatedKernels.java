package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.kernel.ElementwiseKernels;
import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;
import io.streamseek.gpu.backend.cuda.kernel.LaunchGeometry;
import io.streamseek.gpu.backend.cuda.kernel.LinearKernels;
import io.streamseek.gpu.backend.cuda.kernel.MlaKernels;
import io.streamseek.gpu.backend.cuda.kernel.MoeKernels;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The CUDA backend's kernels in plain Java over {@link EmulatedMemory}: a {@link DeviceKernels.Launcher}
 * that runs each launch at once, so the runner's whole forward pass can run without a GPU.
 *
 * <p>Each kernel is emulated from its specification (the comments of its CUDA source) with
 * straightforward loops in f32, the CPU backend's arithmetic: the results equal the GPU's up to
 * the rounding of sums taken in another order, not bitwise. The launch geometry is ignored: an
 * emulation computes every output of the launch.
 */
final class EmulatedKernels implements DeviceKernels.Launcher {

    /** One kernel's emulation: reads its arguments by name and does the launch's whole work. */
    @FunctionalInterface
    interface Emulation {
        void run(EmulatedMemory memory, EmulatedArgs args);
    }

    private final EmulatedMemory memory;
    private final Map<String, Emulation> emulations = new TreeMap<>();
    private long launches;

    /** Kernels that read and write {@code memory}. */
    EmulatedKernels(EmulatedMemory memory) {
        this.memory = memory;
        register(ElementwiseKernels.MODULE, EmulatedElementwise.emulations());
        register(LinearKernels.MODULE, EmulatedLinear.emulations());
        register(MlaKernels.MODULE, EmulatedMla.emulations());
        register(MoeKernels.MODULE, EmulatedMoe.emulations());
    }

    @Override
    public void launch(KernelSignature kernel, LaunchGeometry geometry, Object... args) {
        Emulation emulation = emulations.get(key(kernel.module(), kernel.name()));
        if (emulation == null) {
            throw new UnsupportedOperationException("no emulation of kernel " + kernel.name() + " (module " + kernel.module()
                    + "); emulated: " + emulations.keySet());
        }
        EmulatedArgs read = new EmulatedArgs(kernel, args);
        emulation.run(memory, read);
        read.requireAllRead();
        launches++;
    }

    /** Whether {@code kernel} has an emulation here. */
    boolean emulates(KernelSignature kernel) {
        return emulations.containsKey(key(kernel.module(), kernel.name()));
    }

    /** The emulated kernels as {@code module/name}. */
    java.util.Set<String> emulated() {
        return Collections.unmodifiableSet(emulations.keySet());
    }

    /** Launches run so far. */
    long launches() {
        return launches;
    }

    EmulatedMemory memory() {
        return memory;
    }

    private void register(String module, Map<String, Emulation> family) {
        family.forEach((name, emulation) -> emulations.put(key(module, name), emulation));
    }

    private static String key(String module, String name) {
        return module + "/" + name;
    }
}
