package io.streamseek.gpu.backend.cuda.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Sub-range pointers and copy ranges are checked against the buffer before the driver sees them. */
class DeviceBufferBoundsTest {

    private static final long BASE = 0x7f00_0000_0000L;
    private final DeviceBuffer cache = new DeviceBuffer(null, null, BASE, 1000, "latent cache");

    @Test
    void pointersInsideTheBufferAreOffsetFromItsAddress() {
        assertThat(cache.pointer()).isEqualTo(new DevicePointer(BASE));
        assertThat(cache.at(0).address()).isEqualTo(BASE);
        assertThat(cache.at(999).address()).isEqualTo(BASE + 999);
        assertThat(cache.at(600, 400).address()).isEqualTo(BASE + 600);
        assertThat(DevicePointer.NULL.address()).isZero();
        assertThat(DevicePointer.NULL).hasToString("NULL");
    }

    @Test
    void pointersOutsideTheBufferAreRefusedWithItsPurpose() {
        assertThatThrownBy(() -> cache.at(1000)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessage("byte offset 1000 is outside the 1000-byte device buffer for latent cache");
        assertThatThrownBy(() -> cache.at(-4)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> cache.at(600, 401)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessage("a sub-range at byte offset 600 overruns the 1000-byte device buffer for latent cache");
    }

    @Test
    void aCopyIsCheckedOnTheHostAndTheDeviceSide() {
        assertThat(cache.checkCopy(300, 50, 250, Float.BYTES, 0, "floats")).isEqualTo(1000);

        assertThatThrownBy(() -> cache.checkCopy(300, 50, 251, Float.BYTES, 0, "floats")).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessage("copying 251 floats from index 50 of a 300-element host array overruns it");
        assertThatThrownBy(() -> cache.checkCopy(300, 0, 250, Float.BYTES, 4, "floats")).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessage("a copy of 250 floats (1000 bytes) at byte offset 4 overruns the 1000-byte device buffer for latent cache");
        assertThatThrownBy(() -> cache.checkCopy(300, -1, 2, Float.BYTES, 0, "floats")).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> cache.checkCopy(300, 0, -2, Float.BYTES, 0, "floats")).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
