package io.streamseek.gpu.backend.cuda.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * {@link CudaDriver#load()} on whatever machine runs the build: without an NVIDIA driver it must
 * say so, naming libcuda.so.1; with one it must describe the devices it finds.
 */
class CudaDriverTest {

    @Test
    void loadsTheDriverOrExplainsWhyNot() {
        CudaUnavailableException failure = catchThrowableOfType(CudaUnavailableException.class, CudaDriver::load);
        if (failure != null) {
            assertThat(failure.getMessage()).as("an actionable message").containsAnyOf("libcuda.so.1", "CUDA_ERROR_NO_DEVICE",
                    "needs an NVIDIA driver for CUDA 13.0 or newer (R580+)", "cuInit failed");
            if (!libcudaInstalled()) {
                assertThat(failure.getMessage()).startsWith("the NVIDIA driver library libcuda.so.1 could not be loaded: no NVIDIA driver on"
                        + " this machine? (").contains("libcuda.so.1: cannot open shared object file");
            }
            assertThat(catchThrowableOfType(CudaUnavailableException.class, CudaDriver::load))
                    .as("later calls give the same reason, not class-initialisation noise").isSameAs(failure);
            return;
        }
        CudaDriver driver = CudaDriver.load();
        assertThat(driver.driverVersion()).isGreaterThanOrEqualTo(CudaDriver.MIN_DRIVER_VERSION);
        assertThat(driver.deviceCount()).isGreaterThanOrEqualTo(0);
        for (int i = 0; i < driver.deviceCount(); i++) {
            CudaDevice device = driver.device(i);
            assertThat(device.toString()).matches(".+ \\(sm_\\d{2,3}, \\d+\\.\\d GiB, \\d+ SMs\\)");
            assertThat(device.totalMemory()).isPositive();
            assertThat(device.multiprocessorCount()).isPositive();
            assertThat(device.isSupported() == device.unsupportedReason().isEmpty()).isTrue();
        }
    }

    @Test
    void versionsReadAsCudaReleases() {
        assertThat(CudaErrors.versionText(13000)).isEqualTo("13.0");
        assertThat(CudaErrors.versionText(12080)).isEqualTo("12.8");
        assertThat(CudaErrors.gib(85_899_345_920L)).isEqualTo("80.0 GiB");
    }

    /** Whether the driver's user-space library is in one of the usual places. */
    private static boolean libcudaInstalled() {
        return Stream.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu", "/usr/local/nvidia/lib64",
                "/usr/lib/wsl/lib").anyMatch(dir -> Files.exists(Path.of(dir, "libcuda.so.1")));
    }
}
