package io.streamseek.gpu.engine;

/** The engine's intake is full: the caller should slow down (backpressure) and submit again later. */
public class EngineBusyException extends RuntimeException {

    public EngineBusyException(String message) {
        super(message);
    }
}
