package io.streamseek.schemas.registry.embedded;

/** An answer of the registry that is not a success: HTTP status, Confluent error code, message. */
final class RegistryError extends RuntimeException {

    final int status;
    final int errorCode;

    RegistryError(int status, int errorCode, String message) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
    }

    static RegistryError subjectNotFound(String subject) {
        return new RegistryError(404, 40401, "Subject '" + subject + "' not found.");
    }

    static RegistryError versionNotFound(String subject, String version) {
        return new RegistryError(404, 40402, "Version " + version + " not found for subject '" + subject + "'.");
    }

    static RegistryError schemaNotFound(String what) {
        return new RegistryError(404, 40403, what);
    }

    static RegistryError subjectConfigNotFound(String subject) {
        return new RegistryError(404, 40408, "Subject '" + subject + "' does not have subject-level compatibility configured");
    }

    static RegistryError invalidSchema(String message) {
        return new RegistryError(422, 42201, message);
    }

    static RegistryError invalidVersion(String version) {
        return new RegistryError(422, 42202, "The specified version '" + version + "' is not a valid version id. "
                + "Allowed values are between [1, 2^31-1] and the string \"latest\"");
    }

    static RegistryError invalidCompatibilityLevel(String level) {
        return new RegistryError(422, 42203, "Invalid compatibility level '" + level + "'. Valid values are NONE, BACKWARD, "
                + "BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE");
    }

    static RegistryError incompatible(String message) {
        return new RegistryError(409, 409, message);
    }

    static RegistryError badRequest(String message) {
        return new RegistryError(400, 400, message);
    }
}
