package io.streamseek.gpu.loader.gguf;

import io.streamseek.gpu.loader.CheckpointException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.EnumSet;

import static io.streamseek.gpu.loader.gguf.GgufTestFiles.header;
import static io.streamseek.gpu.loader.gguf.GgufTestFiles.pattern;
import static io.streamseek.gpu.loader.gguf.GgufTestFiles.tensorInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** GgufFile beyond parsing: type refusal for the loader, data views, files and tensors over 2 GiB (sparse files). */
class GgufFileTest {

    @TempDir
    Path dir;

    private Path twoTensors() {
        Path file = dir.resolve("model.gguf");
        try (GgufWriter w = new GgufWriter(file)) {
            w.addTensor("blk.0.attn_q.weight", GgmlType.IQ2_XXS, 256);
            w.addTensor("output_norm.weight", GgmlType.F32, 4);
            w.writeHeader();
            w.writeTensor("blk.0.attn_q.weight", pattern(66, 0));
            w.writeTensor("output_norm.weight", pattern(16, 0));
        }
        return file;
    }

    @Test
    void requireTypeWordsTheLoadersRefusal() {
        try (GgufFile gguf = GgufFile.open(twoTensors())) {
            var supported = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0);
            GgufTensor norm = gguf.tensor("output_norm.weight");
            assertThat(gguf.requireType(norm, supported)).isSameAs(norm);
            assertThatThrownBy(() -> gguf.requireType(gguf.tensor("blk.0.attn_q.weight"), supported))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessage("model.gguf: tensor blk.0.attn_q.weight has type iq2_xxs, which this engine does not run; supported: "
                            + "f32, f16, q8_0, bf16 (re-quantize the file to one of them, e.g. llama-quantize --allow-requantize ... Q4_K_M)");
        }
    }

    @Test
    void dataViewsAreCheckedAgainstTheFileAndTheTensor() {
        Path file = twoTensors();
        GgufTensor norm;
        try (GgufFile gguf = GgufFile.open(file)) {
            norm = gguf.tensor("output_norm.weight");
            assertThat(gguf.data(norm, 4, 8).remaining()).isEqualTo(8);
            assertThatThrownBy(() -> gguf.data(norm, 12, 8))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("bytes [12, 20) are outside tensor output_norm.weight of model.gguf, which has 16 bytes");
            GgufTensor stranger = new GgufTensor("output_norm.weight", GgmlType.F32, new long[] {4}, 0, 16);
            assertThatThrownBy(() -> gguf.data(stranger)).hasMessage("tensor output_norm.weight is not a tensor of " + file);
            assertThat(gguf.toString()).isEqualTo(file + " (GGUF v3, 2 tensors, 0 metadata keys)");
        }
        GgufFile closed = GgufFile.open(file);
        closed.close();
        assertThatThrownBy(() -> closed.data(closed.tensor("output_norm.weight")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(file + " is closed; open it again to read tensor output_norm.weight");
        assertThatThrownBy(() -> GgufFile.open(dir.resolve("absent.gguf")))
                .hasMessage(dir.resolve("absent.gguf") + ": no such file");
    }

    @Test
    void aTensorOver2GiBIsReadInSlices() throws IOException {
        long elements = (1L << 29) + 8;  // 2 GiB + 32 bytes of f32
        GgufBytes header = tensorInfo(header(1, 0), "blk.3.ffn_gate_exps.weight", GgmlType.F32.id(), 0, elements).pad(32);
        Path file = GgufTestFiles.write(dir.resolve("big.gguf"), header);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(header.size() + elements * 4);  // sparse: no disk blocks
        }
        try (GgufFile gguf = GgufFile.open(file)) {
            GgufTensor experts = gguf.tensor("blk.3.ffn_gate_exps.weight");
            assertThat(experts.byteLength()).isEqualTo(2_147_483_680L);
            assertThatThrownBy(() -> gguf.data(experts))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessage("big.gguf: tensor blk.3.ffn_gate_exps.weight has 2147483680 bytes, more than one Java 17 buffer can"
                            + " view (2 GiB); read it in slices with data(tensor, byteOffset, byteLength), e.g. one expert at a time");
            assertThat(gguf.data(experts, 1L << 31, 32).getFloat(28)).isZero();
        }
    }

    @Test
    void aHeaderBeyond2GiBIsRefused() throws IOException {
        Path file = GgufTestFiles.write(dir.resolve("big.gguf"), header(0, 1).u64(1L << 31));
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength((1L << 31) + 200);
        }
        assertThatThrownBy(() -> GgufFile.open(file))
                .hasMessage("big.gguf: the header runs past its first 2 GiB while reading metadata key 1 of 1 at offset 32;"
                        + " headers that large are not supported");
    }
}
