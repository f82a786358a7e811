package io.streamseek.gpu.backend.cuda.ptx;

import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.f32;
import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.i32;
import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.ptr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamseek.gpu.backend.cuda.kernel.CudaKernels;
import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;
import io.streamseek.gpu.backend.cuda.kernel.PtxEntries;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed PTX declares exactly the kernels {@link CudaKernels#all()} registers, with the same parameters. */
class PtxSignatureTest {

    /** nvcc 13.0's output for a two-kernel module, with the qualifiers other toolkits put after {@code .u64}. */
    private static final String PROBE_PTX = """
            // streamseek-sources-sha256: 00
            .version 9.0
            .target sm_80
            .address_size 64

            \t// .globl\tprobe_scale
            .visible .entry probe_scale(
            \t.param .u64 .ptr .global .align 4 probe_scale_param_0,
            \t.param .u64 probe_scale_param_1,
            \t.param .u32 probe_scale_param_2,
            \t.param .f32 probe_scale_param_3
            )
            {
            \tret;
            }
            \t// .globl\tprobe_noop
            .visible .entry probe_noop()
            {
            \tret;
            }
            """;
    private static final KernelSignature SCALE = KernelSignature.of("probe", "probe_scale", ptr("out"), ptr("in"), i32("n"), f32("factor"));
    private static final KernelSignature NOOP = KernelSignature.of("probe", "probe_noop");

    @Test
    void theCommittedPtxDeclaresExactlyTheRegisteredKernels() throws IOException {
        Map<String, String> ptx = new TreeMap<>();
        for (Path file : PtxBuild.filesEndingIn(Path.of("").toAbsolutePath().resolve(PtxBuild.PTX_RESOURCES), ".ptx")) {
            ptx.put(PtxBuild.strip(file, ".ptx"), Files.readString(file));
        }
        assertThat(problems(ptx, CudaKernels.all())).isEmpty();
    }

    @Test
    void parsesEntriesWithQualifiersAndWithoutParameters() {
        Map<String, PtxEntries.Entry> entries = PtxEntries.parse(PROBE_PTX);

        assertThat(entries.keySet()).containsExactly("probe_scale", "probe_noop");
        assertThat(entries.get("probe_scale").paramTypes()).containsExactly(".u64", ".u64", ".u32", ".f32");
        assertThat(entries.get("probe_noop").paramTypes()).isEmpty();
    }

    @Test
    void matchingSignaturesGiveNoProblems() {
        assertThat(problems(Map.of("probe", PROBE_PTX), List.of(SCALE, NOOP))).isEmpty();
    }

    @Test
    void aParameterOfTheWrongTypeIsNamedWithItsIndex() {
        KernelSignature wrong = KernelSignature.of("probe", "probe_scale", ptr("out"), ptr("in"), f32("n"), f32("factor"));

        assertThat(problems(Map.of("probe", PROBE_PTX), List.of(wrong, NOOP))).singleElement().asString()
                .isEqualTo("kernel probe_scale parameter 2 (n): expected FLOAT (.f32) but the PTX declares .u32");
    }

    @Test
    void aMissingParameterAMissingEntryAndAnUnregisteredEntryAreReported() {
        KernelSignature shorter = KernelSignature.of("probe", "probe_scale", ptr("out"), ptr("in"), i32("n"));
        KernelSignature absent = KernelSignature.of("probe", "probe_gone", ptr("x"));
        KernelSignature elsewhere = KernelSignature.of("nowhere", "lost", ptr("x"));

        assertThat(problems(Map.of("probe", PROBE_PTX), List.of(shorter, absent, elsewhere))).satisfiesExactlyInAnyOrder(
                p -> assertThat(p).contains("probe_scale in module probe is registered with 3 parameters but its PTX entry has 4"),
                p -> assertThat(p).contains("probe_gone is registered for module probe but its PTX has no .entry probe_gone"),
                p -> assertThat(p).contains("lost is registered for module nowhere, which has no committed PTX"),
                p -> assertThat(p).contains("probe.ptx declares .entry probe_noop, which no KernelSignature registers"));
    }

    @Test
    void aStructParameterIsReadAsBytesAndFailsTheComparison() {
        String ptx = ".visible .entry by_value(\n\t.param .align 4 .b8 by_value_param_0[12]\n)\n{\n}\n";
        assertThat(PtxEntries.parse(ptx).get("by_value").paramTypes()).containsExactly(".b8[]");
        assertThat(PtxEntries.mismatches(KernelSignature.of("m", "by_value", ptr("p")), PtxEntries.parse(ptx)))
                .singleElement().asString().contains("expected PTR (.u64) but the PTX declares .b8[]");
    }

    @Test
    void anUnreadableParameterIsRefused() {
        assertThatThrownBy(() -> PtxEntries.parse(".visible .entry odd(\n\tsomething\n)\n{\n}\n"))
                .hasMessageContaining("PTX entry odd has a parameter declaration I cannot read: 'something'");
    }

    @Test
    void readsWhatNvccReallyEmits(@TempDir Path module) throws Exception {
        Optional<Path> nvcc = PtxBuild.nvcc();
        Assumptions.assumeTrue(nvcc.isPresent(), () -> PtxBuild.nvccMissing() + ": the PTX parser was NOT checked on nvcc's real output");
        Path cuda = Files.createDirectories(module.resolve(PtxBuild.CUDA_SOURCES));
        Files.writeString(cuda.resolve("probe.cu"), """
                // out, in: [n] f32.
                extern "C" __global__ void probe_scale(float* __restrict__ out, const float* __restrict__ in, int n, float factor) {
                    int i = blockIdx.x * blockDim.x + threadIdx.x;
                    if (i < n) out[i] = in[i] * factor;
                }
                extern "C" __global__ void probe_noop() {}
                """);

        String ptx = new String(PtxBuild.compile(nvcc.get(), module, "probe"), java.nio.charset.StandardCharsets.UTF_8);

        assertThat(problems(Map.of("probe", ptx), List.of(SCALE, NOOP))).isEmpty();
    }

    /** Every registered kernel matches its module's PTX, and every PTX entry is registered. */
    static List<String> problems(Map<String, String> ptxByModule, List<KernelSignature> signatures) {
        List<String> problems = new ArrayList<>();
        Map<String, Map<String, PtxEntries.Entry>> entries = new TreeMap<>();
        ptxByModule.forEach((module, ptx) -> entries.put(module, PtxEntries.parse(ptx)));
        for (KernelSignature signature : signatures) {
            Map<String, PtxEntries.Entry> module = entries.get(signature.module());
            if (module == null) {
                problems.add("kernel " + signature.name() + " is registered for module " + signature.module() + ", which has no committed PTX "
                        + PtxBuild.PTX_RESOURCES.resolve(signature.module() + ".ptx"));
            } else {
                problems.addAll(PtxEntries.mismatches(signature, module));
            }
        }
        entries.forEach((module, declared) -> declared.keySet().stream()
                .filter(name -> signatures.stream().noneMatch(s -> s.module().equals(module) && s.name().equals(name)))
                .forEach(name -> problems.add(module + ".ptx declares .entry " + name + ", which no KernelSignature registers: add it to "
                        + "its family's signatures() and to CudaKernels.all(), or remove the kernel")));
        return problems;
    }
}
