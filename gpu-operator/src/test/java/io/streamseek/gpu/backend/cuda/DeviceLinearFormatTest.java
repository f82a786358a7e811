package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.backend.cuda.kernel.MoeKernels;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CUDA backend refuses GGUF block formats before allocating anything (no GPU needed). */
class DeviceLinearFormatTest {

    @Test
    void uploadRefusesBlockFormatsNamingTheTensor() {
        Linear q4k = Linear.of(Linear.Format.Q4_K, 2, 256, ByteBuffer.allocate(2 * 144));
        assertThatThrownBy(() -> DeviceLinear.requireDeviceFormat(q4k, "model.layers.3.mlp.down_proj.weight"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the CUDA backend runs F32/BF16/FP8 weights; tensor model.layers.3.mlp.down_proj.weight is Q4_K:"
                        + " use the CPU backend or a bf16 checkpoint");
        assertThatThrownBy(() -> DeviceLinear.upload(null, q4k, "lm_head.weight")).hasMessageContaining("tensor lm_head.weight is Q4_K");
        assertThatCode(() -> DeviceLinear.requireDeviceFormat(Linear.ofFloats(1, 1, new float[1]), "w")).doesNotThrowAnyException();
        assertThatThrownBy(() -> MoeKernels.formatCode(Linear.Format.Q8_0)).hasMessageContaining("Q8_0");
    }
}
