package io.streamseek.gpu.loader.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Builds GGUF files byte by byte for the tests, with the package-private GgufBytes (hence here and
 * not in testutils/), so each corruption is spelled out where it is tested.
 */
final class GgufTestFiles {

    private GgufTestFiles() {
    }

    /** Byte i is (i * 7 + seed) mod 256, the same pattern make_gguf_golden.py writes. */
    static ByteBuffer pattern(int n, int seed) {
        ByteBuffer bytes = ByteBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
            bytes.put(i, (byte) (i * 7 + seed));
        }
        return bytes;
    }

    static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }

    /** Magic, version 3 and the two counts: the 24-byte start of every GGUF file. */
    static GgufBytes header(long tensorCount, long metadataCount) {
        return new GgufBytes().bytes(new byte[] {'G', 'G', 'U', 'F'}).u32(3).u64(tensorCount).u64(metadataCount);
    }

    /** A tensor info: name, n_dims, dims (ne0 first), ggml type id, offset relative to the data section. */
    static GgufBytes tensorInfo(GgufBytes out, String name, int typeId, long offset, long... dims) {
        out.string(name).u32(dims.length);
        for (long d : dims) {
            out.u64(d);
        }
        return out.u32(typeId).u64(offset);
    }

    static Path write(Path file, GgufBytes bytes) {
        return write(file, bytes.toArray());
    }

    static Path write(Path file, byte[] bytes) {
        try {
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
