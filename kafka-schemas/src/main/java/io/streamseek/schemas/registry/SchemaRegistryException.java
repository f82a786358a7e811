package io.streamseek.schemas.registry;

/**
 * A schema registry call that failed. {@link #status()} and {@link #errorCode()} are the HTTP status
 * and Confluent error code of the registry's answer (e.g. 404 / 40403 for an unknown schema id,
 * 409 for an incompatible schema), or 0 when no answer came (network failure, timeout).
 */
public class SchemaRegistryException extends RuntimeException {

    private final int status;
    private final int errorCode;

    public SchemaRegistryException(String message, int status, int errorCode) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
        this.errorCode = 0;
    }

    /** The HTTP status of the registry's answer, or 0 when none came. */
    public int status() {
        return status;
    }

    /** The Confluent error code of the registry's answer (e.g. 40401, 40403, 409), or 0. */
    public int errorCode() {
        return errorCode;
    }

    /** The registry answered that the subject, version or schema does not exist. */
    public boolean isNotFound() {
        return status == 404;
    }

    /** No answer came, or the registry failed on its side: the same call may succeed later. */
    public boolean isRetriable() {
        return status == 0 || status >= 500;
    }
}
