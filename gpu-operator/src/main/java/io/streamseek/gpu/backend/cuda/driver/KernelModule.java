package io.streamseek.gpu.backend.cuda.driver;

import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;
import io.streamseek.gpu.backend.cuda.kernel.PtxEntries;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUjit_option;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;
import jcuda.driver.JITOptions;

/** One PTX module (one {@code .cu} file), JIT-compiled by the driver for the context's GPU. */
public final class KernelModule implements AutoCloseable {

    /** Where the committed PTX lives on the classpath. */
    public static final String RESOURCE_DIR = "/io/streamseek/gpu/backend/cuda/ptx/";
    private static final int LOG_BYTES = 16 * 1024;

    private final CudaContext context;
    private final String name;
    private final CUmodule handle;
    private final Map<String, PtxEntries.Entry> entries;
    private boolean closed;

    private KernelModule(CudaContext context, String name, CUmodule handle, Map<String, PtxEntries.Entry> entries) {
        this.context = context;
        this.name = name;
        this.handle = handle;
        this.entries = entries;
    }

    static KernelModule load(CudaContext context, String name) {
        byte[] ptx = resource(name);
        JITOptions jit = new JITOptions();
        jit.putInt(CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, LOG_BYTES);
        jit.putBytes(CUjit_option.CU_JIT_ERROR_LOG_BUFFER, new byte[LOG_BYTES]);
        CUmodule module = new CUmodule();
        try {
            // The driver reads a NUL-terminated image.
            JCudaDriver.cuModuleLoadDataJIT(module, Pointer.to(Arrays.copyOf(ptx, ptx.length + 1)), jit);
        } catch (CudaException e) {
            throw new CudaUnavailableException(loadFailure(context, name, e, log(jit)), e);
        }
        return new KernelModule(context, name, module, PtxEntries.parse(new String(ptx, StandardCharsets.UTF_8)));
    }

    private static String loadFailure(CudaContext context, String name, CudaException e, String log) {
        String message = "the driver could not load PTX module " + name + " on " + context.device() + ": " + e.getMessage();
        if (CudaErrors.is(e, CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION)) {
            message += " (the PTX declares ISA " + CudaDriver.PTX_ISA_VERSION + ", which needs a driver for CUDA "
                    + CudaErrors.versionText(CudaDriver.MIN_DRIVER_VERSION) + " or newer (" + CudaDriver.MIN_DRIVER_BRANCH
                    + "+); this one is for CUDA " + context.device().driver().driverVersionText() + ")";
        }
        return log.isEmpty() ? message : message + "\nJIT log:\n" + log;
    }

    private static String log(JITOptions jit) {
        byte[] bytes = jit.getBytes(CUjit_option.CU_JIT_ERROR_LOG_BUFFER);
        int length = 0;
        while (bytes != null && length < bytes.length && bytes[length] != 0) {
            length++;
        }
        return bytes == null ? "" : new String(bytes, 0, length, StandardCharsets.UTF_8).strip();
    }

    /** The committed PTX of module {@code name}. */
    static byte[] resource(String name) {
        String path = RESOURCE_DIR + name + ".ptx";
        try (InputStream in = KernelModule.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no PTX module " + name + ": resource " + path + " is not on the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path, e);
        }
    }

    public String name() {
        return name;
    }

    /**
     * The kernel {@code signature} names, after checking the module declares it with the same
     * parameters (a mismatch would make the kernel read garbage).
     */
    public Kernel kernel(KernelSignature signature) {
        if (!signature.module().equals(name)) {
            throw new IllegalArgumentException("kernel " + signature.name() + " belongs to module " + signature.module() + ", not " + name);
        }
        List<String> problems = PtxEntries.mismatches(signature, entries);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        checkOpen();
        context.makeCurrent();
        CUfunction function = new CUfunction();
        JCudaDriver.cuModuleGetFunction(function, handle, signature.name());
        return new Kernel(context, signature, function);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("PTX module " + name + " was unloaded");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            context.makeCurrent();
            JCudaDriver.cuModuleUnload(handle);
            closed = true;
        }
    }
}
