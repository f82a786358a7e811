package io.streamseek.gpu.runner;

/**
 * Ends a generation early on something only the text shows: the caller's stop strings. Stop token
 * ids and max tokens are the {@link Generator}'s own checks; this one runs after them.
 */
@FunctionalInterface
public interface StopCondition {

    StopCondition NONE = (tokens, count) -> false;

    /** Whether the first {@code count} generated tokens end the sequence. */
    boolean shouldStop(int[] tokens, int count);
}
