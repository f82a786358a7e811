package io.streamseek.gpu.backend.cuda.driver;

/** A device allocation the GPU has no room for; the message names what it was for and the memory left. */
public class CudaOutOfMemoryException extends RuntimeException {

    private final long requestedBytes;
    private final long freeBytes;

    public CudaOutOfMemoryException(String message, long requestedBytes, long freeBytes, Throwable cause) {
        super(message, cause);
        this.requestedBytes = requestedBytes;
        this.freeBytes = freeBytes;
    }

    public long requestedBytes() {
        return requestedBytes;
    }

    /** Free device memory when the allocation failed, as {@code cuMemGetInfo} reported it. */
    public long freeBytes() {
        return freeBytes;
    }
}
