package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cpu.ScalarDot;
import io.streamseek.gpu.backend.cuda.driver.DevicePointer;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A test's emulated GPU: {@link EmulatedMemory}, the {@link EmulatedKernels} over it, and the
 * runner's {@link DeviceKernels} launching into them, with helpers to put host arrays on the device,
 * read results back and make random inputs.
 */
final class EmulatedDevice {

    final EmulatedMemory memory = new EmulatedMemory(256L << 20);
    final EmulatedKernels emulator = new EmulatedKernels(memory);
    final DeviceKernels kernels = new DeviceKernels(emulator);
    final Random random;

    EmulatedDevice(long seed) {
        this.random = new Random(seed);
    }

    DevicePointer floats(String purpose, float[] values) {
        EmulatedArray array = memory.allocate(4L * values.length, purpose);
        array.upload(values);
        return array.pointer();
    }

    DevicePointer ints(String purpose, int... values) {
        EmulatedArray array = memory.allocate(4L * values.length, purpose);
        array.upload(values, values.length);
        return array.pointer();
    }

    DevicePointer shorts(String purpose, short[] values) {
        EmulatedArray array = memory.allocate(2L * values.length, purpose);
        array.upload(values);
        return array.pointer();
    }

    DevicePointer bytes(String purpose, byte[] values) {
        EmulatedArray array = memory.allocate(values.length, purpose);
        array.upload(values);
        return array.pointer();
    }

    DevicePointer longs(String purpose, long... values) {
        EmulatedArray array = memory.allocate(8L * values.length, purpose);
        array.upload(values);
        return array.pointer();
    }

    /** An output buffer of {@code count} floats, every one NaN until a kernel writes it. */
    DevicePointer output(String purpose, int count) {
        float[] nan = new float[count];
        java.util.Arrays.fill(nan, Float.NaN);
        return floats(purpose, nan);
    }

    float[] read(DevicePointer pointer, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = memory.f32(pointer.address(), i);
        }
        return values;
    }

    int[] readInts(DevicePointer pointer, int count) {
        int[] values = new int[count];
        for (int i = 0; i < count; i++) {
            values[i] = memory.i32(pointer.address(), i);
        }
        return values;
    }

    /** Uniform values in [-scale, scale). */
    float[] uniform(int count, float scale) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (2 * random.nextFloat() - 1) * scale;
        }
        return values;
    }

    short[] bf16(int count) {
        short[] bits = new short[count];
        for (int i = 0; i < count; i++) {
            bits[i] = (short) (Float.floatToRawIntBits(ScalarDot.roundToBf16(2 * random.nextFloat() - 1)) >>> 16);
        }
        return bits;
    }

    /** E4M3 codes of magnitude at most 448, never NaN (0x7f, 0xff). */
    byte[] e4m3(int count) {
        byte[] codes = new byte[count];
        for (int i = 0; i < count; i++) {
            int code;
            do {
                code = random.nextInt(256);
            } while ((code & 0x7f) == 0x7f);
            codes[i] = (byte) code;
        }
        return codes;
    }

    /** Block scales of E4M3 weights kept near unit magnitude (448 × scale ≈ 1). */
    float[] scales(int rows, int cols) {
        int count = (rows + 127) / 128 * ((cols + 127) / 128);
        float[] scales = new float[count];
        for (int i = 0; i < count; i++) {
            scales[i] = (0.5f + random.nextFloat()) / 448f;
        }
        return scales;
    }

    /** Each value within {@code relative} of the expected one (absolute below magnitude 1); NaN expected: NaN still. */
    static void assertClose(float[] actual, float[] expected, double relative) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i])) {
                assertThat(actual[i]).as("value %d (not to be written)", i).isNaN();
                continue;
            }
            assertThat(actual[i]).as("value %d", i).isCloseTo(expected[i], within((float) (relative * Math.max(1, Math.abs(expected[i])))));
        }
    }
}
