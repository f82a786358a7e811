package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.driver.CudaDevice;
import io.streamseek.gpu.backend.cuda.driver.CudaDriver;
import io.streamseek.gpu.backend.cuda.driver.CudaUnavailableException;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.AssertionFailedError;

/**
 * Marks tests that need an NVIDIA GPU. Tagged {@code gpu}: the default build excludes them, and
 * {@code mvn -pl gpu-operator test -Pgpu} runs only them. Where no usable GPU is found, every such
 * test FAILS with the reason (never skips), so a GPU run on the wrong machine cannot pass green.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("gpu")
@ExtendWith(RequiresGpu.Check.class)
public @interface RequiresGpu {

    /** Fails each test when device 0 is missing or unusable. */
    final class Check implements BeforeEachCallback {

        @Override
        public void beforeEach(ExtensionContext context) {
            String reason = unusableReason();
            if (reason != null) {
                throw new AssertionFailedError("these tests need an NVIDIA GPU with driver " + CudaDriver.MIN_DRIVER_BRANCH + "+: " + reason);
            }
        }

        /** Why device 0 cannot run the kernels, or null when it can. */
        static String unusableReason() {
            try {
                CudaDriver driver = CudaDriver.load();
                if (driver.deviceCount() < 1) {
                    return "the driver (" + driver + ") sees no CUDA device";
                }
                CudaDevice device = driver.device(0);
                return device.unsupportedReason().orElse(null);
            } catch (CudaUnavailableException e) {
                return e.getMessage();
            }
        }
    }
}
