package io.streamseek.gpu.loader.gguf;

import io.streamseek.gpu.loader.CheckpointException;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.SafetensorsWriter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

import static io.streamseek.gpu.loader.gguf.GgufTestFiles.header;
import static io.streamseek.gpu.loader.gguf.GgufTestFiles.pattern;
import static io.streamseek.gpu.loader.gguf.GgufTestFiles.tensorInfo;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every way a file can fail {@link GgufFile#open}, each with its exact message: the file, the key or
 * tensor, the offset and what was expected. Files are built byte by byte; offsets in the messages
 * follow from the 24-byte header and GGUF strings being a uint64 length plus the bytes.
 */
class GgufFileErrorsTest {

    private static final int F32 = GgmlType.F32.id();

    @TempDir
    Path dir;

    private void assertOpenFails(GgufBytes bytes, String message) {
        Path file = GgufTestFiles.write(dir.resolve("model.gguf"), bytes);
        assertThatThrownBy(() -> GgufFile.open(file)).isInstanceOf(CheckpointException.class).hasMessage(message);
    }

    @Test
    void badMagicShowsTheBytesFound() {
        assertOpenFails(new GgufBytes().bytes(new byte[] {'P', 'K', 3, 4}).u64(0).u64(0).u32(0),
                "model.gguf: not a GGUF file: it starts with the bytes 50 4B 03 04 (\"PK..\") where \"GGUF\" (47 47 55 46) was expected");
    }

    @Test
    void aSafetensorsFileIsRecognised() throws IOException {
        Path file = dir.resolve("model.safetensors");
        new SafetensorsWriter().add("w", DType.F32, new long[] {2}, SafetensorsWriter.encode(new float[] {1, 2}, DType.F32)).write(file);
        assertThatThrownBy(() -> GgufFile.open(file))
                .hasMessageStartingWith("model.safetensors: not a GGUF file: it starts with the bytes ")
                .hasMessageEndingWith("; this looks like a safetensors file: load its directory as a Hugging Face checkpoint instead");
    }

    @Test
    void bigEndianFilesAreRecognisedByMagicOrVersion() {
        assertOpenFails(new GgufBytes().bytes(new byte[] {'F', 'U', 'G', 'G'}).u64(0).u64(0).u32(0),
                "model.gguf: not a GGUF file: it starts with the bytes 46 55 47 47 (\"FUGG\") where \"GGUF\" (47 47 55 46) was expected;"
                        + " this looks like a GGUF file written big-endian, which this reader does not read: convert it to"
                        + " little-endian (gguf-py's gguf-convert-endian)");
        assertOpenFails(new GgufBytes().bytes(new byte[] {'G', 'G', 'U', 'F', 0, 0, 0, 3}).u64(0).u64(0),
                "model.gguf: GGUF version reads as 50331648 (0x3000000): a big-endian GGUF file, which this reader does not"
                        + " read; convert it to little-endian (gguf-py's gguf-convert-endian)");
    }

    @Test
    void onlyVersion3IsRead() {
        assertOpenFails(new GgufBytes().bytes(new byte[] {'G', 'G', 'U', 'F'}).u32(2).u64(0).u64(0),
                "model.gguf: GGUF version 2 is not supported, only version 3: reconvert the model with a current llama.cpp"
                        + " (convert_hf_to_gguf.py), which writes version 3");
        assertOpenFails(new GgufBytes().bytes(new byte[] {'G', 'G', 'U', 'F'}).u32(4).u64(0).u64(0),
                "model.gguf: GGUF version 4 is not supported, only version 3 (a newer format? update StreamSeek)");
    }

    @Test
    void truncationNamesWhatWasBeingReadAndWhere() {
        assertOpenFails(new GgufBytes(), "model.gguf: a 0-byte file is too short for GGUF (its header alone is 24 bytes)");
        assertOpenFails(new GgufBytes().u8(0x47),
                "model.gguf: a 1-byte file is too short for GGUF (its header alone is 24 bytes)");
        assertOpenFails(new GgufBytes().bytes(new byte[] {'G', 'G', 'U', 'F'}).u32(3).u64(0),
                "model.gguf: truncated: reading the header needs 8 bytes at offset 16, but the file ends at 16");
        assertOpenFails(header(0, 3).string("a").u32(GgufValueType.UINT32.id()).u32(1),
                "model.gguf: truncated: reading metadata key 2 of 3 needs 8 bytes at offset 41, but the file ends at 41");
        assertOpenFails(header(0, 1).string("b").u32(GgufValueType.UINT64.id()).u16(0).u8(0),
                "model.gguf: truncated: reading metadata key b needs 8 bytes at offset 37, but the file ends at 40");
        assertOpenFails(header(1, 0).string("blk.0.attn_q.weight").u32(2).u64(32),
                "model.gguf: truncated: reading tensor info blk.0.attn_q.weight needs 8 bytes at offset 63, but the file ends at 63");
    }

    @Test
    void aStringOrArrayLengthPastTheEndOfTheFile() {
        assertOpenFails(header(0, 1).string("general.name").u32(GgufValueType.STRING.id()).u64(5).u8('a').u8('b'),
                "model.gguf: string length 5 of metadata key general.name at offset 48 runs past the end of the file (58 bytes)");
        assertOpenFails(header(0, 1).u64(1L << 40),
                "model.gguf: string length 1099511627776 of metadata key 1 of 1 at offset 24 runs past the end of the file (32 bytes)");
        assertOpenFails(header(0, 1).string("tokenizer.ggml.tokens").u32(GgufValueType.ARRAY.id()).u32(GgufValueType.STRING.id())
                        .u64(1_000_000),
                "model.gguf: array length 1000000 of metadata key tokenizer.ggml.tokens (ARRAY of STRING) at offset 61 runs past"
                        + " the end of the file (69 bytes): 1000000 elements need at least 8000000 bytes");
    }

    @Test
    void valueTypesGgufDoesNotDefine() {
        assertOpenFails(header(0, 1).string("x").u32(13),
                "model.gguf: metadata key x has value type 13 at offset 33, which GGUF does not define (0 UINT8 to 12 FLOAT64)");
        assertOpenFails(header(0, 1).string("x").u32(GgufValueType.ARRAY.id()).u32(99).u64(0),
                "model.gguf: metadata key x has array element type 99 at offset 37, which GGUF does not define (0 UINT8 to 12 FLOAT64)");
        assertOpenFails(header(0, 1).string("x").u32(GgufValueType.ARRAY.id()).u32(GgufValueType.ARRAY.id()).u64(0),
                "model.gguf: metadata key x is an array of arrays (offset 37), which GGUF readers, llama.cpp included, do not support");
        assertOpenFails(header(0, 1).string("x").u32(GgufValueType.BOOL.id()).u8(2),
                "model.gguf: metadata key x has BOOL byte 2 at offset 37; GGUF bools are 0 or 1");
    }

    @Test
    void duplicateKeysAndABadAlignment() {
        assertOpenFails(header(0, 2).string("x").u32(GgufValueType.UINT8.id()).u8(1).string("x").u32(GgufValueType.UINT8.id()).u8(2),
                "model.gguf: metadata key x appears twice (at offsets 24 and 38)");
        assertOpenFails(header(0, 1).string("general.alignment").u32(GgufValueType.UINT32.id()).u32(48),
                "model.gguf: general.alignment is 48; it must be a power of two (GGUF's default is 32)");
        assertOpenFails(header(0, 1).string("general.alignment").u32(GgufValueType.STRING.id()).string("32"),
                "model.gguf: metadata key general.alignment has type STRING; expected an integer type (UINT8 to INT64)");
    }

    @Test
    void tensorTypeIdsThisReaderDoesNotKnow() {
        assertOpenFails(tensorInfo(header(1, 0), "blk.0.attn_q.weight", 99, 0, 32),
                "model.gguf: tensor blk.0.attn_q.weight has ggml type id 99 (offset 63), which this reader does not know:"
                        + " a type newer than StreamSeek, or one ggml has retired (4, 5, 31-33, 36-38)");
        assertOpenFails(tensorInfo(header(1, 0), "blk.0.attn_q.weight", 4, 0, 32),
                "model.gguf: tensor blk.0.attn_q.weight has ggml type id 4 (offset 63), which this reader does not know:"
                        + " a type newer than StreamSeek, or one ggml has retired (4, 5, 31-33, 36-38)");
    }

    @Test
    void shapesGgmlCannotHold() {
        assertOpenFails(tensorInfo(header(1, 0), "a", F32, 0, 1, 1, 1, 1, 1),
                "model.gguf: tensor a has 5 dimensions; GGUF (ggml) allows at most 4");
        assertOpenFails(tensorInfo(header(1, 0), "a", F32, 0, 32, 0),
                "model.gguf: tensor a has dims [32, 0]: ne1 is 0; every dimension must be at least 1");
        assertOpenFails(tensorInfo(header(1, 0), "a", GgmlType.Q4_K.id(), 0, 100),
                "model.gguf: tensor a is q4_K with dims [100]: ne0 must be a multiple of its 256-element blocks");
        assertOpenFails(tensorInfo(header(1, 0), "a", F32, 0, 1L << 40, 1L << 40),
                "model.gguf: tensor a has dims [1099511627776, 1099511627776], more elements than any file holds");
    }

    @Test
    void misalignedDuplicateAndOverlappingTensors() {
        assertOpenFails(tensorInfo(header(1, 0), "a", F32, 4, 8),
                "model.gguf: tensor a has data offset 4, not a multiple of the alignment 32");
        assertOpenFails(tensorInfo(tensorInfo(header(2, 0), "a", F32, 0, 8), "a", F32, 32, 8),
                "model.gguf: tensor name a appears twice (tensor infos 1 and 2)");
        GgufBytes overlapping = tensorInfo(tensorInfo(header(2, 0), "a", F32, 0, 16), "b", F32, 32, 8).pad(32);
        long data = overlapping.size();
        assertOpenFails(overlapping.bytes(new byte[96]),
                "model.gguf: tensors a and b overlap: a ends at " + (data + 64) + ", b starts at " + (data + 32));
    }

    @Test
    void aTensorWhoseDataLiesPastTheEndOfTheFile() throws IOException {
        Path file = dir.resolve("model.gguf");
        try (GgufWriter w = new GgufWriter(file)) {
            w.addTensor("token_embd.weight", GgmlType.F32, 8);
            w.addTensor("output.weight", GgmlType.F32, 16);
            w.writeHeader();
            w.writeTensor("token_embd.weight", pattern(32, 0));
            w.writeTensor("output.weight", pattern(64, 0));
        }
        long offset;
        try (GgufFile gguf = GgufFile.open(file)) {
            offset = gguf.tensor("output.weight").offset();
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(offset + 40);
        }
        assertThatThrownBy(() -> GgufFile.open(file))
                .hasMessage("model.gguf: tensor output.weight (64 bytes at offset " + offset + ") ends past the end of the file ("
                        + (offset + 40) + " bytes): the file is truncated or its tensor info is corrupt");
        assertOpenFails(tensorInfo(header(1, 0), "a", F32, -32, 8),
                "model.gguf: tensor a (32 bytes at offset beyond 2^63) ends past the end of the file (57 bytes): the file is"
                        + " truncated or its tensor info is corrupt");
    }
}
