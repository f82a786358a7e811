package io.streamseek.gpu.backend.cuda.driver;

import jcuda.CudaException;
import jcuda.driver.CUresult;

/** Reading the {@link CudaException}s JCuda throws (with exceptions enabled) for a failed driver call. */
final class CudaErrors {

    private CudaErrors() {
    }

    /** Whether {@code e} reports driver result {@code code} (JCuda's message is the result's name). */
    static boolean is(CudaException e, int code) {
        return CUresult.stringFor(code).equals(e.getMessage());
    }

    /** Whether {@code e} reports a result whose name contains {@code part}, for results JCuda 12.0 has no constant for. */
    static boolean named(CudaException e, String part) {
        return e.getMessage() != null && e.getMessage().contains(part);
    }

    /** Driver version as {@code cuDriverGetVersion} reports it (1000 × major + 10 × minor) in words: {@code 13000 → "13.0"}. */
    static String versionText(int version) {
        return version / 1000 + "." + version % 1000 / 10;
    }

    static String gib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
