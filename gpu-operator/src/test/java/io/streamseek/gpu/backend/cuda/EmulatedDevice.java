package io.streamseek.gpu.backend.cuda;

/**
 * A test's emulated GPU: {@link EmulatedMemory}, the {@link EmulatedKernels} over it, and the
 * runner's {@link DeviceKernels} launching into them. {@link #emulator} is there for the tests of the
 * emulation itself (every signature emulated, unknown kernels refused).
 */
final class EmulatedDevice extends KernelTestDevice {

    final EmulatedMemory memory;
    final EmulatedKernels emulator;

    EmulatedDevice(long seed) {
        this(new EmulatedMemory(256L << 20), seed);
    }

    private EmulatedDevice(EmulatedMemory memory, long seed) {
        this(memory, new EmulatedKernels(memory), seed);
    }

    private EmulatedDevice(EmulatedMemory memory, EmulatedKernels emulator, long seed) {
        super(memory, new DeviceKernels(emulator), seed);
        this.memory = memory;
        this.emulator = emulator;
    }
}
