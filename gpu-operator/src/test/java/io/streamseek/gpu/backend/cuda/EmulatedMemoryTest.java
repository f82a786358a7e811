package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.driver.CudaOutOfMemoryException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The emulated device memory: addresses, capacity, copies, typed access and its bounds errors. */
class EmulatedMemoryTest {

    private final EmulatedMemory memory = new EmulatedMemory(10_000);

    @Test
    void allocationsGetDistinctAlignedNonZeroAddressesWithGapsBetween() {
        EmulatedArray a = memory.allocate(100, "a");
        EmulatedArray b = memory.allocate(1000, "b");
        EmulatedArray c = memory.allocate(1, "c");
        for (EmulatedArray array : new EmulatedArray[] {a, b, c}) {
            assertThat(array.address()).isNotZero();
            assertThat(array.address() % EmulatedMemory.ALIGNMENT).isZero();
        }
        assertThat(b.address()).isGreaterThanOrEqualTo(a.address() + a.bytes() + EmulatedMemory.GAP);
        assertThat(c.address()).isGreaterThanOrEqualTo(b.address() + b.bytes() + EmulatedMemory.GAP);
        assertThat(memory.freeBytes()).isEqualTo(10_000 - 1101);
        b.close();
        assertThat(memory.freeBytes()).isEqualTo(10_000 - 101);
    }

    @Test
    void anAllocationBeyondCapacityNamesItsPurpose() {
        memory.allocate(6000, "weights");
        assertThatThrownBy(() -> memory.allocate(5000, "latent cache (12 blocks)"))
                .isInstanceOf(CudaOutOfMemoryException.class)
                .hasMessageContaining("latent cache (12 blocks)").hasMessageContaining("4000 of 10000 bytes free");
    }

    @Test
    void copiesRoundTripAndRefuseToOverrun() {
        EmulatedArray array = memory.allocate(16, "control");
        array.upload(new int[] {1, -2, 3, 4, 99}, 4);
        int[] back = new int[4];
        array.download(back, 4);
        assertThat(back).containsExactly(1, -2, 3, 4);
        array.upload(new float[] {1.5f, -0f});
        float[] floats = new float[2];
        array.download(floats, 2);
        assertThat(floats).containsExactly(1.5f, -0f);
        assertThatThrownBy(() -> array.upload(new float[5])).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("control").hasMessageContaining("20 bytes");
        assertThatThrownBy(() -> array.download(new float[8], 5)).hasMessageContaining("control");
        assertThatThrownBy(() -> array.download(new float[2], 3)).hasMessageContaining("2-element host array");
    }

    @Test
    void typedAccessIsLittleEndianAtAddressPlusIndex() {
        EmulatedArray array = memory.allocate(64, "mixed");
        long base = array.address();
        memory.u64(base, 1, 0x0102_0304_0506_0708L);
        assertThat(memory.u8(base, 8)).isEqualTo((byte) 0x08);
        assertThat(memory.u16(base, 4)).isEqualTo((short) 0x0708);
        assertThat(memory.i32(base, 3)).isEqualTo(0x0102_0304);
        memory.f32(base, 15, -2.5f);
        assertThat(memory.f32(array.at(60).address(), 0)).isEqualTo(-2.5f);
        memory.u16(base, 0, (short) 0xbeef);
        memory.u8(base, 2, (byte) 0xff);
        assertThat(memory.i32(base, 0)).isEqualTo(0x00ff_beef);
    }

    @Test
    void anAccessOutsideEveryAllocationSaysWhereItIs() {
        EmulatedArray q = memory.allocate(40, "q_latent");
        memory.allocate(40, "o_latent");
        assertThatThrownBy(() -> q.at(40)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("q_latent");
        assertThatThrownBy(() -> q.at(-1)).hasMessageContaining("byte offset -1");
        assertThatThrownBy(() -> memory.f32(q.address(), 10)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("0 bytes past the end").hasMessageContaining("q_latent");
        assertThatThrownBy(() -> memory.u64(q.address() + 4, 4)).hasMessageContaining("overruns the end").hasMessageContaining("q_latent");
        assertThatThrownBy(() -> memory.f32(q.address() - 4, 0)).hasMessageContaining("outside every allocation")
                .hasMessageContaining("4 bytes before").hasMessageContaining("q_latent");
        assertThatThrownBy(() -> memory.f32(0, 3)).hasMessageContaining("outside every allocation");
        assertThatThrownBy(() -> memory.f32(0, 0)).hasMessageContaining("NULL");
    }

    @Test
    void aFreedAllocationCanNoLongerBeReachedAndCloseFreesAll() {
        EmulatedArray cache = memory.allocate(64, "latent cache");
        long address = cache.address();
        cache.close();
        assertThatThrownBy(() -> memory.f32(address, 1)).hasMessageContaining("latent cache").hasMessageContaining("freed");
        assertThatThrownBy(() -> cache.upload(new float[1])).hasMessageContaining("freed");
        memory.allocate(500, "a");
        memory.allocate(500, "b");
        memory.close();
        assertThat(memory.freeBytes()).isEqualTo(10_000);
    }
}
