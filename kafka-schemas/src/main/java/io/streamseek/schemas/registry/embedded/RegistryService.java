package io.streamseek.schemas.registry.embedded;

import io.streamseek.schemas.registry.CompatibilityLevel;
import io.streamseek.schemas.registry.embedded.SchemaStore.Version;

import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

import java.util.List;
import java.util.Optional;

/**
 * The registry's operations, independent of HTTP. Changes are appended to the {@link SchemaLog}
 * first and applied to the {@link SchemaStore} only once the broker acknowledged them; one lock
 * orders them, so ids and versions are assigned without gaps or races.
 */
final class RegistryService {

    private final SchemaStore store;
    private final SchemaLog log;

    RegistryService(SchemaStore store, SchemaLog log) {
        this.store = store;
        this.log = log;
    }

    /** Registers {@code schemaText} under {@code subject}; returns the (possibly existing) id. */
    synchronized int register(String subject, String schemaText) {
        Schema schema = parse(schemaText);
        String key = SchemaStore.normalise(schema);
        List<Version> versions = store.subjects().contains(subject) ? store.versions(subject) : List.of();
        for (Version v : versions) {
            if (v.key().equals(key)) {
                return v.id();
            }
        }
        CompatibilityLevel level = store.effectiveLevel(subject);
        List<String> violations = CompatibilityCheck.violations(level, schema, parsed(versions));
        if (!violations.isEmpty()) {
            throw RegistryError.incompatible("Schema being registered is incompatible with an earlier schema for subject \""
                    + subject + "\", details: " + violations);
        }
        int id = store.idFor(key);
        int version = versions.isEmpty() ? 1 : versions.get(versions.size() - 1).version() + 1;
        log.appendSchema(subject, version, id, schemaText);
        store.applySchema(subject, version, id, schemaText);
        return id;
    }

    /** The version of {@code subject} whose schema equals {@code schemaText}. */
    synchronized Version lookup(String subject, String schemaText) {
        String key = SchemaStore.normalise(parse(schemaText));
        return store.find(subject, key).orElseThrow(() -> RegistryError.schemaNotFound("Schema not found"));
    }

    synchronized Version version(String subject, String version) {
        List<Version> versions = store.versions(subject);
        if (version.equals("latest") || version.equals("-1")) {
            return versions.get(versions.size() - 1);
        }
        int number = parseVersion(version);
        return versions.stream().filter(v -> v.version() == number).findFirst()
                .orElseThrow(() -> RegistryError.versionNotFound(subject, version));
    }

    synchronized List<Version> versions(String subject) {
        return store.versions(subject);
    }

    synchronized List<String> subjects() {
        return store.subjects();
    }

    synchronized String schemaById(int id) {
        return store.schemaById(id).orElseThrow(() -> RegistryError.schemaNotFound("Schema " + id + " not found"));
    }

    synchronized List<Version> usagesOf(int id) {
        schemaById(id);
        return store.usagesOf(id);
    }

    synchronized CompatibilityLevel globalLevel() {
        return store.globalLevel();
    }

    synchronized Optional<CompatibilityLevel> subjectLevel(String subject) {
        return store.subjectLevel(subject);
    }

    synchronized void setLevel(String subjectOrNull, CompatibilityLevel level) {
        log.appendConfig(subjectOrNull, level);
        store.applyConfig(subjectOrNull, level);
    }

    synchronized CompatibilityLevel deleteSubjectLevel(String subject) {
        CompatibilityLevel previous = store.subjectLevel(subject).orElseThrow(() -> RegistryError.subjectConfigNotFound(subject));
        log.appendConfig(subject, null);
        store.applyConfig(subject, null);
        return previous;
    }

    /**
     * The reasons {@code schemaText} would be rejected under {@code subject}'s level: against one
     * {@code version}, or (null) against the versions the level checks.
     */
    synchronized List<String> compatibilityViolations(String subject, String version, String schemaText) {
        Schema schema = parse(schemaText);
        if (version == null) {
            List<Version> versions = store.subjects().contains(subject) ? store.versions(subject) : List.of();
            return CompatibilityCheck.violations(store.effectiveLevel(subject), schema, parsed(versions));
        }
        Version against = version(subject, version);
        CompatibilityLevel level = store.effectiveLevel(subject);
        CompatibilityLevel single = level.checksBackward() && level.checksForward() ? CompatibilityLevel.FULL
                : level.checksForward() ? CompatibilityLevel.FORWARD
                : level.checksBackward() ? CompatibilityLevel.BACKWARD : CompatibilityLevel.NONE;
        return CompatibilityCheck.violations(single, schema, List.of(new Schema.Parser().parse(against.schema())));
    }

    synchronized int schemaCount() {
        return store.schemaCount();
    }

    static Schema parse(String schemaText) {
        if (schemaText == null || schemaText.isBlank()) {
            throw RegistryError.invalidSchema("Empty schema");
        }
        try {
            return new Schema.Parser().parse(schemaText);
        } catch (SchemaParseException e) {
            throw RegistryError.invalidSchema("Invalid schema " + schemaText + ": " + e.getMessage());
        } catch (RuntimeException e) {
            throw RegistryError.invalidSchema("Invalid schema " + schemaText + ": " + e.getMessage());
        }
    }

    private static List<Schema> parsed(List<Version> versions) {
        return versions.stream().map(v -> new Schema.Parser().parse(v.schema())).toList();
    }

    private static int parseVersion(String version) {
        try {
            int number = Integer.parseInt(version);
            if (number < 1) {
                throw RegistryError.invalidVersion(version);
            }
            return number;
        } catch (NumberFormatException e) {
            throw RegistryError.invalidVersion(version);
        }
    }
}
