package io.streamseek.gpu.backend.cuda;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bench-gpu}'s launches, run on the emulated GPU at small sizes: every buffer it hands a
 * kernel (the partials' three parts, block tables, the GEMM operands) holds what the kernel reads
 * and writes — the emulator refuses any access outside an allocation — and every figure is printed.
 * The timings here mean nothing; on a GPU the same code prints the real ones.
 */
class KernelBenchTest {

    @Test
    void everyFigureRunsWithinItsBuffersAndIsPrinted() {
        KernelBench.Shapes small = new KernelBench.Shapes(32, 64, 32, 1000, List.of(300, 700), List.of(1, 2), List.of(3), 130, 72, 40, 64);
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try (EmulatedMemory memory = new EmulatedMemory(64L << 20)) {
            KernelBench.Timer wallClock = launches -> {
                long started = System.nanoTime();
                launches.run();
                return Math.max(1e-6, (System.nanoTime() - started) / 1e6);
            };
            new KernelBench(memory, new DeviceKernels(new EmulatedKernels(memory)), wallClock,
                    new PrintStream(text, true, StandardCharsets.UTF_8), small).all(3.35e12, 989e12);
            assertThat(memory.freeBytes()).as("every bench buffer freed").isEqualTo(64L << 20);
        }
        List<String> lines = text.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(1 + 1 + 2 * 2 * 2 + 2 + 1);
        assertThat(lines.get(0)).startsWith("peaks: memory 3350 GB/s");
        assertThat(lines).filteredOn(l -> l.startsWith("MLA decode attention (TF32 tensor cores), 32 heads x 64+32, context   700,  2 sequences"))
                .hasSize(1);
        assertThat(lines).filteredOn(l -> l.startsWith("prefill GEMM, FP8  weight [130, 72] x    3 tokens on tensor cores")).hasSize(1);
        assertThat(lines.get(lines.size() - 1)).startsWith("decode GEMV, bf16 weight [40, 64], 1 token:").endsWith("% of peak");
    }
}
