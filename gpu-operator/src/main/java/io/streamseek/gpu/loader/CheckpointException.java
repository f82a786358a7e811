package io.streamseek.gpu.loader;

/** A checkpoint that cannot be loaded; the message names the file, the tensor and what was expected. */
public class CheckpointException extends RuntimeException {

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
