package io.streamseek.gpu.backend.cuda;

/** The MLA kernel checks ({@link MlaKernelChecks}) on the emulated GPU, at the emulator's tolerances. */
class EmulatedMlaKernelsTest extends MlaKernelChecks {

    private final EmulatedDevice device = new EmulatedDevice(SEED);

    @Override
    KernelTestDevice device() {
        return device;
    }
}
