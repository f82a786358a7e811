package io.streamseek.gpu.backend.cuda.ptx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Build tooling (not product code): compiles every {@code src/main/cuda/*.cu} of the gpu-operator
 * module to the committed PTX resource, prefixed with header lines recording the hash of the
 * sources it came from and the nvcc flags. {@code PtxResourcesTest} checks those headers, and
 * regenerates the PTX to compare byte for byte where nvcc is installed.
 *
 * <p>Run it with {@value #REGENERATE}; {@code main} takes the module's base directory (default: the
 * working directory).
 */
public final class PtxBuild {

    /** The command that regenerates every committed PTX file, for error messages. */
    public static final String REGENERATE = "mvn -pl gpu-operator -Pcuda-ptx process-test-classes";
    /**
     * nvcc's flags. No {@code -lineinfo}/{@code -G} (they embed file paths and change the code), no
     * fast math (numerics stay close to the CPU backend's).
     */
    public static final List<String> NVCC_FLAGS = List.of("-ptx", "-arch=compute_80", "-std=c++17", "-Werror", "all-warnings");
    public static final Path CUDA_SOURCES = Path.of("src/main/cuda");
    public static final Path PTX_RESOURCES = Path.of("src/main/resources/io/streamseek/gpu/backend/cuda/ptx");
    static final String HASH_HEADER = "// streamseek-sources-sha256: ";
    static final String FLAGS_HEADER = "// streamseek-nvcc-flags: ";

    private PtxBuild() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Path module = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        List<String> modules = modules(module.resolve(CUDA_SOURCES));
        Path out = module.resolve(PTX_RESOURCES);
        Files.createDirectories(out);
        Path nvcc = nvcc().orElseThrow(() -> new IllegalStateException(nvccMissing()));
        for (String name : modules) {
            Files.write(out.resolve(name + ".ptx"), compile(nvcc, module, name));
            System.out.println("[cuda-ptx] " + CUDA_SOURCES.resolve(name + ".cu") + " -> " + PTX_RESOURCES.resolve(name + ".ptx"));
        }
        // A .ptx whose .cu was removed or renamed would ship kernels nobody builds any more.
        for (Path orphan : filesEndingIn(out, ".ptx")) {
            if (!modules.contains(strip(orphan, ".ptx"))) {
                Files.delete(orphan);
                System.out.println("[cuda-ptx] removed " + PTX_RESOURCES.resolve(orphan.getFileName()) + ": no .cu builds it");
            }
        }
        System.out.println("[cuda-ptx] " + modules.size() + " PTX module(s) regenerated with " + nvcc);
    }

    /** The kernel modules: the names of the {@code .cu} files in {@code cudaSources}, sorted. */
    public static List<String> modules(Path cudaSources) {
        return filesEndingIn(cudaSources, ".cu").stream().map(f -> strip(f, ".cu")).toList();
    }

    /**
     * Compiles one module with the module directory as working directory and relative paths only,
     * so the PTX does not depend on where the checkout lives, and returns the header and the PTX.
     */
    public static byte[] compile(Path nvcc, Path moduleDir, String name) throws IOException, InterruptedException {
        Path tmp = Files.createTempDirectory("streamseek-ptx");
        try {
            Path ptx = tmp.resolve(name + ".ptx");
            List<String> command = new ArrayList<>();
            command.add(nvcc.toString());
            command.addAll(NVCC_FLAGS);
            command.addAll(List.of("-I", CUDA_SOURCES.toString(), CUDA_SOURCES.resolve(name + ".cu").toString(), "-o", ptx.toString()));
            Process process = new ProcessBuilder(command).directory(moduleDir.toFile()).redirectErrorStream(true).start();
            byte[] log = process.getInputStream().readAllBytes();
            if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IllegalStateException("nvcc failed on " + CUDA_SOURCES.resolve(name + ".cu") + " (" + String.join(" ", command)
                        + "):\n" + new String(log, StandardCharsets.UTF_8));
            }
            String header = HASH_HEADER + sourcesHash(moduleDir.resolve(CUDA_SOURCES), name) + "\n"
                    + FLAGS_HEADER + String.join(" ", NVCC_FLAGS) + "\n";
            byte[] head = header.getBytes(StandardCharsets.UTF_8);
            byte[] body = Files.readAllBytes(ptx);
            byte[] all = new byte[head.length + body.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(body, 0, all, head.length, body.length);
            return all;
        } finally {
            try (Stream<Path> files = Files.list(tmp)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(tmp);
        }
    }

    /**
     * SHA-256 over the module's {@code .cu} and every {@code .cuh} of the folder (sorted by name),
     * each as its name, a NUL, its length and its bytes. Taking every header, used or not, keeps it
     * simple and never misses an include; the cost is a stale report when an unrelated header
     * changes, answered by regenerating.
     */
    public static String sourcesHash(Path cudaSources, String name) {
        List<Path> inputs = new ArrayList<>();
        inputs.add(cudaSources.resolve(name + ".cu"));
        inputs.addAll(filesEndingIn(cudaSources, ".cuh"));
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Path input : inputs) {
                byte[] content = Files.readAllBytes(input);
                sha.update(input.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(Long.toString(content.length).getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(content);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** nvcc on the PATH, else {@code $CUDA_HOME/bin/nvcc}, else {@code /usr/local/cuda/bin/nvcc}. */
    public static Optional<Path> nvcc() {
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    candidates.add(Path.of(dir, "nvcc"));
                }
            }
        }
        String cudaHome = System.getenv("CUDA_HOME");
        if (cudaHome != null && !cudaHome.isEmpty()) {
            candidates.add(Path.of(cudaHome, "bin", "nvcc"));
        }
        candidates.add(Path.of("/usr/local/cuda/bin/nvcc"));
        return candidates.stream().filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst();
    }

    public static String nvccMissing() {
        return "nvcc not found on the PATH, in $CUDA_HOME/bin or in /usr/local/cuda/bin: install the CUDA toolkit 13.0"
                + " (or set CUDA_HOME) to build the kernels' PTX";
    }

    static List<Path> filesEndingIn(Path dir, String suffix) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().endsWith(suffix))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String strip(Path file, String suffix) {
        String name = file.getFileName().toString();
        return name.substring(0, name.length() - suffix.length());
    }
}
