package io.streamseek.gpu.backend.cuda.driver;

import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.f32;
import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.i32;
import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.ptr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;

import org.junit.jupiter.api.Test;

/** Launch arguments are checked against the signature without a device. */
class KernelArgumentsTest {

    private static final KernelSignature RMS_NORM = KernelSignature.of("elementwise", "rms_norm",
            ptr("out"), ptr("x"), ptr("weight"), i32("hidden_size"), f32("eps"));
    private static final DeviceBuffer BUFFER = new DeviceBuffer(null, null, 0x7f00_0000_0000L, 4096, "hidden states");

    @Test
    void acceptsBuffersPointersNullIntegersAndFloats() {
        assertThat(KernelArguments.pack(RMS_NORM, BUFFER, BUFFER.at(1024), DevicePointer.NULL, 7168, 1e-6f)).isNotNull();
    }

    @Test
    void aWrongCountNamesTheKernelAndItsParameters() {
        assertThatThrownBy(() -> KernelArguments.pack(RMS_NORM, BUFFER, BUFFER, BUFFER, 7168))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("kernel rms_norm takes 5 arguments [out: PTR, x: PTR, weight: PTR, hidden_size: INT, eps: FLOAT], got 4");
    }

    @Test
    void aDoubleForAFloatNamesIndexNameExpectedAndGot() {
        assertThatThrownBy(() -> KernelArguments.pack(RMS_NORM, BUFFER, BUFFER, BUFFER, 7168, 1e-6))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("kernel rms_norm parameter 4 (eps) expects a Float, got Double 1.0E-6");
    }

    @Test
    void aLongForAnIntAndANumberForAPointerAreRefused() {
        assertThatThrownBy(() -> KernelArguments.pack(RMS_NORM, BUFFER, BUFFER, BUFFER, 7168L, 1e-6f))
                .hasMessage("kernel rms_norm parameter 3 (hidden_size) expects an Integer, got Long 7168");
        assertThatThrownBy(() -> KernelArguments.pack(RMS_NORM, 0L, BUFFER, BUFFER, 7168, 1e-6f))
                .hasMessage("kernel rms_norm parameter 0 (out) expects a DeviceBuffer or DevicePointer (DevicePointer.NULL for none),"
                        + " got Long 0");
    }

    @Test
    void nullIsNotANullPointer() {
        assertThatThrownBy(() -> KernelArguments.pack(RMS_NORM, BUFFER, BUFFER, null, 7168, 1e-6f))
                .hasMessageContaining("parameter 2 (weight) expects a DeviceBuffer or DevicePointer (DevicePointer.NULL for none), got null");
    }
}
