package io.streamseek.gpu.loader;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor's entry in a safetensors header.
 *
 * @param file the file holding it
 * @param dataStart absolute byte offset of its data in the file
 * @param byteLength bytes of data
 */
public record TensorInfo(String name, DType dtype, long[] shape, Path file, long dataStart, long byteLength) {

    public long elements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public String shapeText() {
        return Arrays.toString(shape);
    }
}
