package io.streamseek.gpu.backend.cuda.kernel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel entry points a PTX module declares ({@code .visible .entry name(.param .u64 ..., ...)})
 * and their comparison with a {@link KernelSignature}: CI checks the committed PTX with it, and a
 * module refuses a kernel whose parameters differ before anything is launched.
 */
public final class PtxEntries {

    private static final Pattern ENTRY = Pattern.compile("(?:\\.visible\\s+|\\.weak\\s+)?\\.entry\\s+([A-Za-z_$][\\w$]*)\\s*\\(([^)]*)\\)");
    private static final Pattern TYPE = Pattern.compile("\\.[bsuf]\\d+");

    private PtxEntries() {
    }

    /**
     * One {@code .entry}: its name and the PTX type of each parameter ({@code .u64}, {@code .u32},
     * {@code .f32}, ...; qualifiers such as {@code .ptr .global .align 4} dropped).
     */
    public record Entry(String name, List<String> paramTypes) {

        public Entry {
            paramTypes = List.copyOf(paramTypes);
        }
    }

    /** The entries of {@code ptx}, by name, in the order declared. */
    public static Map<String, Entry> parse(String ptx) {
        String text = ptx.replaceAll("//[^\n]*", "");
        Map<String, Entry> entries = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(text);
        while (m.find()) {
            List<String> types = new ArrayList<>();
            String params = m.group(2).strip();
            if (!params.isEmpty()) {
                for (String param : params.split(",")) {
                    types.add(type(m.group(1), param.strip()));
                }
            }
            entries.put(m.group(1), new Entry(m.group(1), types));
        }
        return entries;
    }

    private static String type(String entry, String param) {
        String[] tokens = param.split("\\s+");
        if (tokens.length < 3 || !tokens[0].equals(".param")) {
            throw new IllegalArgumentException("PTX entry " + entry + " has a parameter declaration I cannot read: '" + param + "'");
        }
        // The first type-like token after .param; ".align N .b8 name[K]" (a struct by value) gives .b8.
        for (int i = 1; i < tokens.length - 1; i++) {
            if (TYPE.matcher(tokens[i]).matches()) {
                return tokens[i] + (tokens[tokens.length - 1].endsWith("]") ? "[]" : "");
            }
        }
        throw new IllegalArgumentException("PTX entry " + entry + " has a parameter without a type: '" + param + "'");
    }

    /**
     * How {@code signature} disagrees with the module's entries: an empty list when the module has
     * the kernel with the same number of parameters of the same PTX types.
     */
    public static List<String> mismatches(KernelSignature signature, Map<String, Entry> entries) {
        Entry entry = entries.get(signature.name());
        if (entry == null) {
            return List.of("kernel " + signature.name() + " is registered for module " + signature.module() + " but its PTX has no .entry "
                    + signature.name() + " (entries: " + entries.keySet() + ")");
        }
        List<String> problems = new ArrayList<>();
        List<KernelSignature.Param> params = signature.params();
        if (params.size() != entry.paramTypes().size()) {
            problems.add("kernel " + signature.name() + " in module " + signature.module() + " is registered with " + params.size()
                    + " parameters but its PTX entry has " + entry.paramTypes().size() + " " + entry.paramTypes());
        }
        for (int i = 0; i < Math.min(params.size(), entry.paramTypes().size()); i++) {
            KernelSignature.Param param = params.get(i);
            String found = entry.paramTypes().get(i);
            if (!param.type().ptxType().equals(found)) {
                problems.add("kernel " + signature.name() + " parameter " + i + " (" + param.name() + "): expected " + param.type() + " ("
                        + param.type().ptxType() + ") but the PTX declares " + found);
            }
        }
        return problems;
    }
}
