package io.streamseek.gpu.backend.cuda.ptx;

import io.streamseek.gpu.backend.cuda.driver.CudaDriver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What {@code PtxResourcesTest} checks of a module directory's CUDA sources and committed PTX, as
 * lists of problems (empty: fine), so the same checks run on the real module and on throwaway
 * ones that show each check catches what it should.
 */
final class PtxResourceCheck {

    private PtxResourceCheck() {
    }

    /** Every {@code .cu} has a committed {@code .ptx} and vice versa. */
    static List<String> pairing(Path moduleDir) {
        List<String> problems = new ArrayList<>();
        List<String> sources = PtxBuild.modules(moduleDir.resolve(PtxBuild.CUDA_SOURCES));
        List<String> ptx = PtxBuild.filesEndingIn(moduleDir.resolve(PtxBuild.PTX_RESOURCES), ".ptx").stream()
                .map(f -> PtxBuild.strip(f, ".ptx")).toList();
        for (String name : sources) {
            if (!ptx.contains(name)) {
                problems.add(PtxBuild.CUDA_SOURCES.resolve(name + ".cu") + " has no committed " + ptxPath(name)
                        + "; generate it with: " + PtxBuild.REGENERATE);
            }
        }
        for (String name : ptx) {
            if (!sources.contains(name)) {
                problems.add(ptxPath(name) + " has no source " + PtxBuild.CUDA_SOURCES.resolve(name + ".cu")
                        + ": restore the source, or delete the PTX (" + PtxBuild.REGENERATE + " removes it)");
            }
        }
        return problems;
    }

    /** Each committed PTX's header matches today's sources and flags, and it targets what the driver layer expects. */
    static List<String> headers(Path moduleDir) {
        List<String> problems = new ArrayList<>();
        Path cuda = moduleDir.resolve(PtxBuild.CUDA_SOURCES);
        for (String name : PtxBuild.modules(cuda)) {
            Path file = moduleDir.resolve(PtxBuild.PTX_RESOURCES).resolve(name + ".ptx");
            if (!Files.isRegularFile(file)) {
                continue; // reported by pairing()
            }
            List<String> lines = lines(file);
            String recorded = header(lines, PtxBuild.HASH_HEADER);
            String current = PtxBuild.sourcesHash(cuda, name);
            if (recorded == null) {
                problems.add(ptxPath(name) + " has no '" + PtxBuild.HASH_HEADER.strip() + "' header, so it was not built by PtxBuild;"
                        + " regenerate it with: " + PtxBuild.REGENERATE);
            } else if (!recorded.equals(current)) {
                problems.add(ptxPath(name) + " is stale: it was built from sources hashing to " + recorded + ", but "
                        + PtxBuild.CUDA_SOURCES.resolve(name + ".cu") + " and the .cuh headers now hash to " + current
                        + "; regenerate it with: " + PtxBuild.REGENERATE);
            }
            String flags = header(lines, PtxBuild.FLAGS_HEADER);
            String expectedFlags = String.join(" ", PtxBuild.NVCC_FLAGS);
            if (flags != null && !flags.equals(expectedFlags)) {
                problems.add(ptxPath(name) + " was built with nvcc flags '" + flags + "', not '" + expectedFlags
                        + "'; regenerate it with: " + PtxBuild.REGENERATE);
            }
            requireLine(problems, name, lines, ".version " + CudaDriver.PTX_ISA_VERSION,
                    "the driver layer's CudaDriver.PTX_ISA_VERSION (the driver version it demands follows from it)");
            requireLine(problems, name, lines, ".target sm_80", "compute_80, the oldest GPU the kernels support");
            requireLine(problems, name, lines, ".address_size 64", "64-bit device pointers, as kernel parameters pass them");
        }
        return problems;
    }

    /** Regenerating every module with {@code nvcc} gives the committed bytes exactly. */
    static List<String> regeneration(Path nvcc, Path moduleDir) throws IOException, InterruptedException {
        List<String> problems = new ArrayList<>();
        for (String name : PtxBuild.modules(moduleDir.resolve(PtxBuild.CUDA_SOURCES))) {
            Path file = moduleDir.resolve(PtxBuild.PTX_RESOURCES).resolve(name + ".ptx");
            if (!Files.isRegularFile(file)) {
                continue; // reported by pairing()
            }
            byte[] fresh = PtxBuild.compile(nvcc, moduleDir, name);
            byte[] committed = Files.readAllBytes(file);
            if (!Arrays.equals(fresh, committed)) {
                problems.add(ptxPath(name) + " differs from what " + nvcc + " builds from " + PtxBuild.CUDA_SOURCES.resolve(name + ".cu")
                        + " now: " + firstDifference(committed, fresh) + "; regenerate it with: " + PtxBuild.REGENERATE);
            }
        }
        return problems;
    }

    private static String firstDifference(byte[] committed, byte[] fresh) {
        List<String> a = new String(committed, StandardCharsets.UTF_8).lines().toList();
        List<String> b = new String(fresh, StandardCharsets.UTF_8).lines().toList();
        String nvccA = header(a, "// Cuda compilation tools");
        String nvccB = header(b, "// Cuda compilation tools");
        String compiler = nvccA != null && !nvccA.equals(nvccB)
                ? " (committed from nvcc '" + nvccA.replaceFirst("^,\\s*", "") + "', nvcc here is '" + String.valueOf(nvccB).replaceFirst("^,\\s*", "") + "')"
                : "";
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            if (!a.get(i).equals(b.get(i))) {
                return "line " + (i + 1) + " is '" + a.get(i).strip() + "' committed but '" + b.get(i).strip() + "' rebuilt" + compiler;
            }
        }
        return "the committed file has " + a.size() + " lines, the rebuilt one " + b.size() + compiler;
    }

    private static void requireLine(List<String> problems, String name, List<String> lines, String line, String why) {
        if (lines.stream().noneMatch(l -> l.strip().equals(line))) {
            problems.add(ptxPath(name) + " lacks '" + line + "', required by " + why);
        }
    }

    private static String header(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()).strip()).findFirst().orElse(null);
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path ptxPath(String name) {
        return PtxBuild.PTX_RESOURCES.resolve(name + ".ptx");
    }
}
