package io.streamseek.gpu.backend.cuda.driver;

import jcuda.CudaException;
import jcuda.driver.CUdevice;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * The NVIDIA driver, loaded once per JVM: JCuda's JNI library (which links {@code libcuda.so.1}),
 * {@code cuInit}, and a check that the driver can run the kernels' PTX. Every failure becomes a
 * {@link CudaUnavailableException} whose message says what is missing; the first failure is kept,
 * so later calls give the same message instead of JVM class-initialisation noise.
 */
public final class CudaDriver {

    /**
     * The PTX ISA version nvcc 13.0 declares ({@code .version 9.0} in every committed PTX file;
     * {@code PtxResourcesTest} checks they agree). A driver JIT-compiles only PTX ISA versions it
     * knows, so this decides the oldest usable driver, {@link #MIN_DRIVER_VERSION}.
     */
    public static final String PTX_ISA_VERSION = "9.0";
    /** {@code cuDriverGetVersion} of the oldest driver that JIT-compiles {@link #PTX_ISA_VERSION}: CUDA 13.0. */
    public static final int MIN_DRIVER_VERSION = 13_000;
    /** The NVIDIA driver branch that brought CUDA 13.0, for messages. */
    public static final String MIN_DRIVER_BRANCH = "R580";

    private static CudaDriver loaded;
    private static CudaUnavailableException failure;

    private final int driverVersion;

    private CudaDriver(int driverVersion) {
        this.driverVersion = driverVersion;
    }

    /**
     * Loads the driver (once; later calls return the same driver or throw the same exception).
     *
     * @throws CudaUnavailableException with a message a user can act on when there is no driver, no
     *     device, or a driver older than CUDA 13.0
     */
    public static synchronized CudaDriver load() {
        if (loaded != null) {
            return loaded;
        }
        if (failure != null) {
            throw failure;
        }
        try {
            loaded = initialise();
            return loaded;
        } catch (CudaUnavailableException e) {
            failure = e;
            throw e;
        }
    }

    private static CudaDriver initialise() {
        int[] version = {0};
        try {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuDriverGetVersion(version);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new CudaUnavailableException("the NVIDIA driver library libcuda.so.1 could not be loaded: no NVIDIA driver on this"
                    + " machine? (" + linkCause(e) + ")", e);
        } catch (CudaException e) {
            throw new CudaUnavailableException("the NVIDIA driver does not report its version (" + e.getMessage() + ")", e);
        }
        if (version[0] < MIN_DRIVER_VERSION) {
            throw new CudaUnavailableException(tooOld(version[0]));
        }
        try {
            JCudaDriver.cuInit(0);
        } catch (CudaException e) {
            if (CudaErrors.is(e, CUresult.CUDA_ERROR_NO_DEVICE)) {
                throw new CudaUnavailableException("the NVIDIA driver " + CudaErrors.versionText(version[0])
                        + " is installed but sees no CUDA device (CUDA_ERROR_NO_DEVICE): no GPU, or CUDA_VISIBLE_DEVICES hides them", e);
            }
            if (CudaErrors.named(e, "INSUFFICIENT_DRIVER") || CudaErrors.is(e, CUresult.CUDA_ERROR_SYSTEM_DRIVER_MISMATCH)) {
                throw new CudaUnavailableException(tooOld(version[0]) + " (" + e.getMessage()
                        + ": the user-space libcuda.so.1 and the kernel module may also disagree)", e);
            }
            throw new CudaUnavailableException("cuInit failed with " + e.getMessage() + " (NVIDIA driver "
                    + CudaErrors.versionText(version[0]) + ")", e);
        }
        return new CudaDriver(version[0]);
    }

    private static String tooOld(int version) {
        return "the kernels' PTX (ISA " + PTX_ISA_VERSION + ") needs an NVIDIA driver for CUDA " + CudaErrors.versionText(MIN_DRIVER_VERSION)
                + " or newer (" + MIN_DRIVER_BRANCH + "+), but this machine's driver supports CUDA " + CudaErrors.versionText(version)
                + " (cuDriverGetVersion " + version + "): update the NVIDIA driver";
    }

    /** The useful line of a native-library failure: JCuda's own message nests several attempts. */
    private static String linkCause(Throwable e) {
        String message = String.valueOf(e.getMessage());
        for (String line : message.split("\n")) {
            if (line.contains("libcuda.so")) {
                return line.strip();
            }
        }
        return e.getClass().getSimpleName() + ": " + message.lines().findFirst().orElse("").strip();
    }

    /** {@code cuDriverGetVersion}: 1000 × major + 10 × minor of the newest CUDA the driver supports. */
    public int driverVersion() {
        return driverVersion;
    }

    /** The driver version in words, {@code "13.0"}. */
    public String driverVersionText() {
        return CudaErrors.versionText(driverVersion);
    }

    public int deviceCount() {
        int[] count = {0};
        JCudaDriver.cuDeviceGetCount(count);
        return count[0];
    }

    /** The device with this ordinal (as CUDA numbers them, after {@code CUDA_VISIBLE_DEVICES}). */
    public CudaDevice device(int ordinal) {
        int count = deviceCount();
        if (ordinal < 0 || ordinal >= count) {
            throw new IllegalArgumentException("no CUDA device " + ordinal + ": the driver sees " + count + " (ordinals 0.."
                    + (count - 1) + ")");
        }
        CUdevice device = new CUdevice();
        JCudaDriver.cuDeviceGet(device, ordinal);
        return CudaDevice.query(this, device, ordinal);
    }

    @Override
    public String toString() {
        return "NVIDIA driver for CUDA " + driverVersionText();
    }
}
