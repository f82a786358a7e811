package io.streamseek.gpu.backend;

import java.util.Locale;

/** Which device runs the forward pass: the {@code --backend} option of the CLI and the Flink job. */
public enum Backend {
    /** CUDA when a usable NVIDIA GPU is present, otherwise the CPU; the choice is logged once. */
    AUTO,
    /** The Vector API backend, on every core of this machine. */
    CPU,
    /** NVIDIA GPUs through the CUDA driver; fails with the reason when none is usable. */
    CUDA;

    /** Parses {@code auto}, {@code cpu} or {@code cuda} (any case). */
    public static Backend fromName(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("backend '" + name + "' is not one of auto, cpu, cuda");
        }
    }

    public String optionName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
