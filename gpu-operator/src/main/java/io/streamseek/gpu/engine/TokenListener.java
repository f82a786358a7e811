package io.streamseek.gpu.engine;

/** Receives each generated token as soon as it is sampled, on the engine's step thread: keep it short. */
@FunctionalInterface
public interface TokenListener {

    TokenListener NONE = token -> { };

    void onToken(int token);
}
