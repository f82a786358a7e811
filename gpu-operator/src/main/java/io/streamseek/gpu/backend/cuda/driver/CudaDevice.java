package io.streamseek.gpu.backend.cuda.driver;

import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

/** One GPU as the driver describes it, queried once. Open it with {@link #openContext()}. */
public final class CudaDevice {

    /** The oldest compute capability the kernels' PTX targets ({@code .target sm_80}: A100). */
    public static final int MIN_MAJOR = 8;
    public static final int MIN_MINOR = 0;

    private final CudaDriver driver;
    private final CUdevice handle;
    private final int ordinal;
    private final String name;
    private final int major;
    private final int minor;
    private final long totalMemory;
    private final int multiprocessors;
    private final int memoryClockKhz;
    private final int memoryBusWidthBits;
    private final int maxSharedMemoryPerBlockOptin;
    private final int l2CacheBytes;
    private final int clockKhz;

    private CudaDevice(CudaDriver driver, CUdevice handle, int ordinal, String name, int major, int minor, long totalMemory,
            int multiprocessors, int memoryClockKhz, int memoryBusWidthBits, int maxSharedMemoryPerBlockOptin, int l2CacheBytes, int clockKhz) {
        this.driver = driver;
        this.handle = handle;
        this.ordinal = ordinal;
        this.name = name;
        this.major = major;
        this.minor = minor;
        this.totalMemory = totalMemory;
        this.multiprocessors = multiprocessors;
        this.memoryClockKhz = memoryClockKhz;
        this.clockKhz = clockKhz;
        this.memoryBusWidthBits = memoryBusWidthBits;
        this.maxSharedMemoryPerBlockOptin = maxSharedMemoryPerBlockOptin;
        this.l2CacheBytes = l2CacheBytes;
    }

    static CudaDevice query(CudaDriver driver, CUdevice device, int ordinal) {
        byte[] name = new byte[256];
        JCudaDriver.cuDeviceGetName(name, name.length, device);
        int length = 0;
        while (length < name.length && name[length] != 0) {
            length++;
        }
        long[] total = {0};
        JCudaDriver.cuDeviceTotalMem(total, device);
        return new CudaDevice(driver, device, ordinal, new String(name, 0, length, StandardCharsets.UTF_8),
                attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR), attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
                total[0], attribute(device, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), attribute(device, CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE),
                attribute(device, CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH),
                attribute(device, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN), attribute(device, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE),
                attribute(device, CU_DEVICE_ATTRIBUTE_CLOCK_RATE));
    }

    private static int attribute(CUdevice device, int attribute) {
        int[] value = {0};
        JCudaDriver.cuDeviceGetAttribute(value, attribute, device);
        return value[0];
    }

    /** Retains the device's primary context; close the returned context to release it. */
    public CudaContext openContext() {
        if (!isSupported()) {
            throw new CudaUnavailableException(unsupportedReason().orElseThrow());
        }
        return CudaContext.retainPrimary(this);
    }

    CUdevice handle() {
        return handle;
    }

    public CudaDriver driver() {
        return driver;
    }

    public int ordinal() {
        return ordinal;
    }

    public String name() {
        return name;
    }

    public int computeCapabilityMajor() {
        return major;
    }

    public int computeCapabilityMinor() {
        return minor;
    }

    /** Device memory in bytes. */
    public long totalMemory() {
        return totalMemory;
    }

    public int multiprocessorCount() {
        return multiprocessors;
    }

    /**
     * Theoretical DRAM bandwidth in bytes/s: memory clock × 2 (double data rate) × bus width / 8, the
     * ceiling memory-bound kernels (all of decode) are measured against.
     */
    public double peakMemoryBandwidth() {
        return 2.0 * memoryClockKhz * 1000.0 * memoryBusWidthBits / 8.0;
    }

    /**
     * Dense bf16 tensor-core FLOP/s with f32 accumulation at the SMs' maximum clock: SMs × clock ×
     * FLOPs per clock per SM of the architecture (2,048 on sm_80, 1,024 on sm_86/sm_89, 4,096 on
     * sm_90, 8,192 on sm_100; the vendors' published dense figures divided by their clocks). What
     * the prefill GEMM is measured against.
     */
    public double peakBf16TensorFlops() {
        return multiprocessors * (clockKhz * 1000.0) * bf16FlopsPerClockPerSm(major, minor);
    }

    static int bf16FlopsPerClockPerSm(int major, int minor) {
        return switch (major) {
            case 8 -> minor == 0 ? 2048 : 1024;
            case 9 -> 4096;
            case 10 -> 8192;
            default -> 1024;
        };
    }

    /** Shared memory one block may use after opting in per kernel (above the 48 KiB default). */
    public int maxSharedMemoryPerBlockOptin() {
        return maxSharedMemoryPerBlockOptin;
    }

    public int l2CacheBytes() {
        return l2CacheBytes;
    }

    /** Whether the kernels can run here: compute capability 8.0 (A100) or newer. */
    public boolean isSupported() {
        return major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR);
    }

    /** Why {@link #isSupported()} is false; empty when it is true. */
    public Optional<String> unsupportedReason() {
        if (isSupported()) {
            return Optional.empty();
        }
        return Optional.of("CUDA device " + ordinal + ", " + name + ", has compute capability " + major + "." + minor
                + "; the kernels need " + MIN_MAJOR + "." + MIN_MINOR + " or newer (A100, L4, L40, H100, ... ) for bf16 tensor cores");
    }

    /** One log line: {@code NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB, 132 SMs)}. */
    @Override
    public String toString() {
        return name + " (sm_" + major + minor + ", " + CudaErrors.gib(totalMemory) + ", " + multiprocessors + " SMs)";
    }
}
