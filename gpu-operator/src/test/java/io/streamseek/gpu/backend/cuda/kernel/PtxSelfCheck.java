package io.streamseek.gpu.backend.cuda.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads a module's kernels back from its committed PTX (entry names, parameter types) and from its
 * CUDA sources (parameter names), to compare with the Java signatures.
 */
final class PtxSelfCheck {

    private static final Pattern ENTRY = Pattern.compile("\\.visible \\.entry (\\w+)\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param (\\.\\w+) ");
    private static final Pattern KERNEL = Pattern.compile(
            "extern \"C\" __global__\\s+void\\s+(?:__launch_bounds__\\([^)]*\\)\\s*)?(\\w+)\\s*\\(([^)]*)\\)");

    private PtxSelfCheck() {
    }

    /** Entry name → PTX parameter types, in order. */
    static Map<String, List<String>> ptxEntries(String module) {
        String ptx;
        try (InputStream in = PtxSelfCheck.class.getResourceAsStream("/io/streamseek/gpu/backend/cuda/ptx/" + module + ".ptx")) {
            if (in == null) {
                throw new IllegalStateException("no PTX resource for module " + module);
            }
            ptx = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, List<String>> entries = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            List<String> types = new ArrayList<>();
            Matcher p = PARAM.matcher(m.group(2));
            while (p.find()) {
                types.add(p.group(1));
            }
            entries.put(m.group(1), types);
        }
        return entries;
    }

    /** Kernel name → parameter names, from every .cu/.cuh file under src/main/cuda. */
    static Map<String, List<String>> sourceKernels() {
        Map<String, List<String>> kernels = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(Path.of("src/main/cuda"))) {
            for (Path file : files.sorted().toList()) {
                Matcher m = KERNEL.matcher(Files.readString(file));
                while (m.find()) {
                    List<String> names = new ArrayList<>();
                    for (String param : m.group(2).split(",")) {
                        String[] words = param.trim().split("[\\s*]+");
                        names.add(words[words.length - 1]);
                    }
                    kernels.put(m.group(1), names);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return kernels;
    }

    static List<String> types(KernelSignature signature) {
        return signature.params().stream().map(p -> p.type().ptxType()).toList();
    }

    static List<String> names(KernelSignature signature) {
        return signature.params().stream().map(KernelSignature.Param::name).toList();
    }
}
