package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cpu.ScalarDot;
import io.streamseek.gpu.backend.cuda.driver.DevicePointer;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A kernel test's device, whatever it is: a {@link DeviceMemory} and the runner's
 * {@link DeviceKernels} launching on it, with helpers to put host arrays on the device, read results
 * back and make random inputs. Flavours: {@link EmulatedDevice} (Java emulation, every build) and
 * {@link GpuKernelTestDevice} (a real GPU, {@code -Pgpu}). Only the memory's own copies are used, so
 * a check reads the same on both.
 *
 * <p>{@link #close()} frees the arrays this device allocated, not the memory.
 */
class KernelTestDevice implements AutoCloseable {

    final DeviceKernels kernels;
    final Random random;
    private final DeviceMemory memory;
    /** Every array allocated here, by address: {@link #read} finds the one holding a pointer. */
    private final TreeMap<Long, DeviceArray> arrays = new TreeMap<>();

    KernelTestDevice(DeviceMemory memory, DeviceKernels kernels, long seed) {
        this.memory = memory;
        this.kernels = kernels;
        this.random = new Random(seed);
    }

    private DeviceArray allocate(long bytes, String purpose) {
        DeviceArray array = memory.allocate(bytes, purpose);
        arrays.put(array.address(), array);
        return array;
    }

    DevicePointer floats(String purpose, float[] values) {
        DeviceArray array = allocate(4L * values.length, purpose);
        array.upload(values);
        return array.pointer();
    }

    DevicePointer ints(String purpose, int... values) {
        DeviceArray array = allocate(4L * values.length, purpose);
        array.upload(values, values.length);
        // Int uploads are a step's control data: on a GPU they go up asynchronously through one
        // reused pinned buffer, which the runner refills only after the step's read-back. A test
        // uploads several int arrays in a row, so it waits for each copy here (a download
        // synchronises the stream) and checks the round trip while at it.
        int[] back = new int[values.length];
        array.download(back, values.length);
        assertThat(back).as("%s after upload", purpose).isEqualTo(values);
        return array.pointer();
    }

    DevicePointer shorts(String purpose, short[] values) {
        DeviceArray array = allocate(2L * values.length, purpose);
        array.upload(values);
        return array.pointer();
    }

    DevicePointer bytes(String purpose, byte[] values) {
        DeviceArray array = allocate(values.length, purpose);
        array.upload(values);
        return array.pointer();
    }

    DevicePointer longs(String purpose, long... values) {
        DeviceArray array = allocate(8L * values.length, purpose);
        array.upload(values);
        return array.pointer();
    }

    /** An output buffer of {@code count} floats, every one NaN until a kernel writes it. */
    DevicePointer output(String purpose, int count) {
        float[] nan = new float[count];
        Arrays.fill(nan, Float.NaN);
        return floats(purpose, nan);
    }

    /** {@code count} floats from {@code pointer}, which must lie in an array of this device. */
    float[] read(DevicePointer pointer, int count) {
        int skip = wordsBefore(pointer, count);
        float[] values = new float[skip + count];
        holder(pointer).download(values, skip + count);
        return Arrays.copyOfRange(values, skip, skip + count);
    }

    /** {@code count} ints from {@code pointer}, which must lie in an array of this device. */
    int[] readInts(DevicePointer pointer, int count) {
        int skip = wordsBefore(pointer, count);
        int[] values = new int[skip + count];
        holder(pointer).download(values, skip + count);
        return Arrays.copyOfRange(values, skip, skip + count);
    }

    /** 4-byte words of {@code pointer}'s array before it, with {@code count} words checked to fit after it. */
    private int wordsBefore(DevicePointer pointer, int count) {
        DeviceArray array = holder(pointer);
        long offset = pointer.address() - array.address();
        if (offset % 4 != 0 || offset + 4L * count > array.bytes()) {
            throw new IllegalArgumentException("cannot read " + count + " words at byte " + offset + " of an array of "
                    + array.bytes() + " bytes");
        }
        return Math.toIntExact(offset / 4);
    }

    private DeviceArray holder(DevicePointer pointer) {
        Map.Entry<Long, DeviceArray> entry = arrays.floorEntry(pointer.address());
        if (entry == null || pointer.address() >= entry.getKey() + entry.getValue().bytes()) {
            throw new IllegalArgumentException(pointer + " is in no array this test allocated");
        }
        return entry.getValue();
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

    /** Frees every array this device allocated (the memory stays open). */
    @Override
    public void close() {
        arrays.values().forEach(DeviceArray::close);
        arrays.clear();
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
