package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-kernel checks against the CPU backend's own functions, written once and run on every kind of
 * device: each family's checks are an abstract subclass, run by an emulated test class (every
 * build) and a {@code @RequiresGpu} one ({@code -Pgpu}), so a failing GPU run names the kernel.
 *
 * <p>A check states the tolerance that holds on the emulator, which follows the CPU's arithmetic
 * closely; a device whose arithmetic legitimately differs (another reduction order, {@code expf},
 * tensor cores) relaxes it per kernel through {@link #tolerance}, saying why. Tolerance 0 means
 * bitwise equality, for what must hold exactly on any device.
 */
abstract class KernelChecks {

    /** This test's device: launches go through {@code device().kernels}. Not to be called from a constructor. */
    abstract KernelTestDevice device();

    /** The relative tolerance for {@code kernel}'s outputs on this device, given the emulator's. */
    double tolerance(KernelSignature kernel, double emulated) {
        return emulated;
    }

    /**
     * {@code actual} as {@code expected} within {@link #tolerance}({@code kernel}, {@code emulated})
     * (see {@link KernelTestDevice#assertClose}), or bitwise equal where that is 0.
     */
    final void assertOutput(KernelSignature kernel, float[] actual, float[] expected, double emulated) {
        double relative = tolerance(kernel, emulated);
        if (relative == 0) {
            assertThat(actual).as("%s output", kernel.name()).isEqualTo(expected);
            return;
        }
        try {
            KernelTestDevice.assertClose(actual, expected, relative);
        } catch (AssertionError e) {
            throw new AssertionError(kernel.name() + " output, relative tolerance " + relative + ": " + e.getMessage(), e);
        }
    }
}
