package io.streamseek.gpu.backend.cuda.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The {@code .entry} points of a committed PTX module and their parameter types, in order. */
final class PtxEntries {

    private static final Pattern ENTRY = Pattern.compile("\\.visible\\s+\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+(\\.\\w+)\\s+\\w+");

    private PtxEntries() {
    }

    /** Kernel name to its parameters' PTX types ({@code .u64}, {@code .u32}, {@code .f32}). */
    static Map<String, List<String>> of(String module) throws IOException {
        String resource = "/io/streamseek/gpu/backend/cuda/ptx/" + module + ".ptx";
        String ptx;
        try (InputStream in = PtxEntries.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no PTX resource " + resource);
            }
            ptx = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        Map<String, List<String>> entries = new LinkedHashMap<>();
        Matcher entry = ENTRY.matcher(ptx);
        while (entry.find()) {
            List<String> types = new ArrayList<>();
            Matcher param = PARAM.matcher(entry.group(2));
            while (param.find()) {
                types.add(param.group(1));
            }
            entries.put(entry.group(1), types);
        }
        return entries;
    }

    /** The same view of the host-side signatures. */
    static Map<String, List<String>> of(List<KernelSignature> signatures) {
        Map<String, List<String>> entries = new LinkedHashMap<>();
        for (KernelSignature s : signatures) {
            entries.put(s.name(), s.params().stream().map(p -> p.type().ptxType()).toList());
        }
        return entries;
    }
}
