package io.streamseek.gpu.backend.cuda.ptx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed PTX is what the committed CUDA sources compile to: paired file for file, headers
 * recording today's source hash and flags, and (where nvcc is installed) byte-identical to a fresh
 * build. A second group runs the same checks on a throwaway module to show each one bites.
 */
class PtxResourcesTest {

    private static final Path MODULE = Path.of("").toAbsolutePath();
    private static final String PROBE = """
            #include "common.cuh"
            // out, in: [n] f32.
            extern "C" __global__ void probe_scale(float* out, const float* in, int n, float factor) {
                int i = blockIdx.x * blockDim.x + threadIdx.x;
                if (i < n) out[i] = in[i] * factor;
            }
            """;

    @Test
    void everyCudaSourceHasItsCommittedPtxAndViceVersa() {
        assertThat(MODULE.resolve(PtxBuild.CUDA_SOURCES)).as("tests run in the gpu-operator module directory").isDirectory();
        assertThat(PtxResourceCheck.pairing(MODULE)).isEmpty();
    }

    @Test
    void everyCommittedPtxWasBuiltFromTodaysSourcesForSm80() {
        assertThat(PtxResourceCheck.headers(MODULE)).isEmpty();
    }

    @Test
    void everyCommittedPtxIsByteIdenticalToAFreshBuild() throws Exception {
        Path nvcc = requireNvcc("the committed PTX was NOT compared byte for byte with a fresh nvcc build"
                + " (pairing, source hashes and targets were checked)");
        assertThat(PtxResourceCheck.regeneration(nvcc, MODULE)).isEmpty();
    }

    @Test
    void aSourceWithoutPtxAndAPtxWithoutSourceAreBothReported(@TempDir Path module) throws IOException {
        writeSources(module);
        Path ptxDir = Files.createDirectories(module.resolve(PtxBuild.PTX_RESOURCES));
        Files.writeString(ptxDir.resolve("retired.ptx"), "// left behind\n");

        assertThat(PtxResourceCheck.pairing(module)).satisfiesExactlyInAnyOrder(
                p -> assertThat(p).contains("src/main/cuda/probe.cu has no committed").contains("probe.ptx").contains(PtxBuild.REGENERATE),
                p -> assertThat(p).contains("retired.ptx has no source").contains("retired.cu"));
    }

    @Test
    void aChangedHeaderMakesThePtxStaleAndNamesTheModuleAndTheCommand(@TempDir Path module) throws IOException {
        writeSources(module);
        String hash = PtxBuild.sourcesHash(module.resolve(PtxBuild.CUDA_SOURCES), "probe");
        writePtx(module, PtxBuild.HASH_HEADER + hash + "\n" + PtxBuild.FLAGS_HEADER + String.join(" ", PtxBuild.NVCC_FLAGS) + "\n"
                + ".version 9.0\n.target sm_80\n.address_size 64\n");
        assertThat(PtxResourceCheck.headers(module)).isEmpty();

        Files.writeString(module.resolve(PtxBuild.CUDA_SOURCES).resolve("extra.cuh"), "#pragma once\n");

        assertThat(PtxResourceCheck.headers(module)).singleElement().asString()
                .contains("probe.ptx is stale").contains(hash).contains(PtxBuild.REGENERATE);
    }

    @Test
    void aPtxForAnotherTargetOrIsaOrWithoutHeaderIsReported(@TempDir Path module) throws IOException {
        writeSources(module);
        writePtx(module, "//\n.version 8.5\n.target sm_90\n.address_size 64\n");

        assertThat(PtxResourceCheck.headers(module)).satisfiesExactlyInAnyOrder(
                p -> assertThat(p).contains("has no '// streamseek-sources-sha256:' header"),
                p -> assertThat(p).contains("lacks '.version 9.0'").contains("PTX_ISA_VERSION"),
                p -> assertThat(p).contains("lacks '.target sm_80'"));
    }

    @Test
    void theBuildIsByteIdenticalFromAnotherDirectoryAndCatchesAnEditedPtx(@TempDir Path root) throws Exception {
        Path nvcc = requireNvcc("PtxBuild's output was NOT checked to be independent of the checkout's location");
        Path here = root.resolve("a");
        Path elsewhere = root.resolve("somewhere/much/deeper/b");
        writeSources(here);
        writeSources(elsewhere);

        PtxBuild.main(new String[] {here.toString()});
        PtxBuild.main(new String[] {elsewhere.toString()});

        Path built = here.resolve(PtxBuild.PTX_RESOURCES).resolve("probe.ptx");
        assertThat(built).hasSameBinaryContentAs(elsewhere.resolve(PtxBuild.PTX_RESOURCES).resolve("probe.ptx"));
        String ptx = Files.readString(built);
        assertThat(ptx).doesNotContain(root.toString()).contains(".visible .entry probe_scale(");
        assertThat(PtxResourceCheck.pairing(here)).isEmpty();
        assertThat(PtxResourceCheck.headers(here)).isEmpty();
        assertThat(PtxResourceCheck.regeneration(nvcc, here)).isEmpty();

        Files.writeString(built, ptx.replace("mul.f32", "add.f32"), StandardCharsets.UTF_8);

        assertThat(PtxResourceCheck.headers(here)).as("the header still matches: only a rebuild sees the edit").isEmpty();
        assertThat(PtxResourceCheck.regeneration(nvcc, here)).singleElement().asString()
                .contains("probe.ptx differs from what").contains("add.f32").contains(PtxBuild.REGENERATE);
    }

    private static Path requireNvcc(String notChecked) {
        Optional<Path> nvcc = PtxBuild.nvcc();
        Assumptions.assumeTrue(nvcc.isPresent(), () -> PtxBuild.nvccMissing() + ": " + notChecked);
        return nvcc.get();
    }

    private static void writeSources(Path module) throws IOException {
        Path cuda = Files.createDirectories(module.resolve(PtxBuild.CUDA_SOURCES));
        Files.copy(MODULE.resolve(PtxBuild.CUDA_SOURCES).resolve("common.cuh"), cuda.resolve("common.cuh"));
        Files.writeString(cuda.resolve("probe.cu"), PROBE);
    }

    private static void writePtx(Path module, String text) throws IOException {
        Files.writeString(Files.createDirectories(module.resolve(PtxBuild.PTX_RESOURCES)).resolve("probe.ptx"), text);
    }
}
