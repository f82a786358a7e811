package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.driver.DevicePointer;
import io.streamseek.gpu.backend.cuda.kernel.CudaKernels;
import io.streamseek.gpu.backend.cuda.kernel.ElementwiseKernels;
import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;
import io.streamseek.gpu.backend.cuda.kernel.LaunchGeometry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The element-wise and linear kernel checks ({@link ElementwiseAndLinearKernelChecks}) on the
 * emulated GPU, at the emulator's tolerances; and the emulation itself: every kernel of
 * {@link CudaKernels#all()} emulated, reading exactly the parameters its signature declares. MLA and
 * MoE: {@link EmulatedMlaKernelsTest}, {@link EmulatedMoeKernelsTest}; the memory:
 * {@link EmulatedMemoryTest}.
 */
class EmulatedKernelsTest extends ElementwiseAndLinearKernelChecks {

    private final EmulatedDevice device = new EmulatedDevice(SEED);

    @Override
    KernelTestDevice device() {
        return device;
    }

    @Test
    void everyKernelOfTheBackendIsEmulatedAndReadsEveryParameterByItsName() {
        DevicePointer scratch = device.floats("scratch", new float[64]);
        for (KernelSignature kernel : CudaKernels.all()) {
            assertThat(device.emulator.emulates(kernel)).as(kernel.name()).isTrue();
            // Sizes 0: nothing to compute, but every parameter is read, so a name the emulation
            // expects and the signature lacks (or the reverse) fails here.
            Object[] args = kernel.params().stream().map(p -> switch (p.type()) {
                case PTR -> scratch;
                case INT -> (Object) 0;
                case FLOAT -> (Object) 0f;
            }).toArray();
            device.emulator.launch(kernel, LaunchGeometry.linear(1, 32, 0), args);
        }
        assertThat(device.emulator.emulated()).hasSameSizeAs(CudaKernels.all());
    }

    @Test
    void anUnknownKernelOrAMistypedArgumentIsRefusedByName() {
        KernelSignature unknown = KernelSignature.of("elementwise", "gelu", KernelSignature.ptr("x"));
        assertThatThrownBy(() -> device.emulator.launch(unknown, LaunchGeometry.linear(1, 32, 0), DevicePointer.NULL))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("gelu");
        assertThatThrownBy(() -> device.emulator.launch(ElementwiseKernels.ADD_INPLACE, LaunchGeometry.linear(1, 32, 0),
                DevicePointer.NULL, DevicePointer.NULL, 1f)).hasMessageContaining("add_inplace").hasMessageContaining("(n)");
        assertThatThrownBy(() -> device.emulator.launch(ElementwiseKernels.ADD_INPLACE, LaunchGeometry.linear(1, 32, 0),
                DevicePointer.NULL, 1)).hasMessageContaining("takes 3 arguments");
    }
}
