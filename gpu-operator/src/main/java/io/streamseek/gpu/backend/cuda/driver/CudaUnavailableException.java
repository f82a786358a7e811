package io.streamseek.gpu.backend.cuda.driver;

/**
 * No usable CUDA device here: no NVIDIA driver, no GPU, a driver too old for the kernels' PTX, or a
 * GPU older than the kernels support. Unchecked, because the one place that must handle it is the
 * backend selection (which falls back to the CPU backend or reports the message); its message says
 * what was found and what to install or change.
 */
public class CudaUnavailableException extends RuntimeException {

    public CudaUnavailableException(String message) {
        super(message);
    }

    public CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
