package io.streamseek.gpu.backend.cuda;

/** The DeepSeekMoE kernel checks ({@link MoeKernelChecks}) on the emulated GPU, at the emulator's tolerances. */
class EmulatedMoeKernelsTest extends MoeKernelChecks {

    private final EmulatedDevice device = new EmulatedDevice(SEED);

    @Override
    KernelTestDevice device() {
        return device;
    }
}
