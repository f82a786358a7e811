package io.streamseek.schemas.registry.embedded;

import io.streamseek.schemas.registry.CompatibilityLevel;

import org.apache.avro.Schema;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The registry's state: subjects and their versions, global schema ids, compatibility levels. It is
 * rebuilt from the {@link SchemaLog} on start and changed only by applying log records, so what is
 * served is exactly what is durable. Not thread-safe; {@link EmbeddedSchemaRegistry} serialises access.
 */
final class SchemaStore {

    /** One version of a subject. {@code schema} is the registered text; {@code key} its normalised form. */
    record Version(String subject, int version, int id, String schema, String key) {
    }

    private final Map<String, List<Version>> subjects = new TreeMap<>();
    private final Map<Integer, String> schemasById = new HashMap<>();
    private final Map<String, Integer> idsByKey = new HashMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel;
    private int maxId;

    SchemaStore(CompatibilityLevel defaultLevel) {
        this.globalLevel = defaultLevel;
    }

    /** The text two schemas are compared by: the parsed schema written back, so whitespace and key order do not matter. */
    static String normalise(Schema schema) {
        return schema.toString();
    }

    void applySchema(String subject, int version, int id, String schema) {
        String key = normalise(new Schema.Parser().parse(schema));
        List<Version> versions = subjects.computeIfAbsent(subject, s -> new ArrayList<>());
        versions.removeIf(v -> v.version() == version);
        versions.add(new Version(subject, version, id, schema, key));
        versions.sort((a, b) -> Integer.compare(a.version(), b.version()));
        schemasById.putIfAbsent(id, schema);
        idsByKey.putIfAbsent(key, id);
        maxId = Math.max(maxId, id);
    }

    void applyConfig(String subjectOrNull, CompatibilityLevel levelOrNull) {
        if (subjectOrNull == null) {
            if (levelOrNull != null) {
                globalLevel = levelOrNull;
            }
        } else if (levelOrNull == null) {
            subjectLevels.remove(subjectOrNull);
        } else {
            subjectLevels.put(subjectOrNull, levelOrNull);
        }
    }

    List<String> subjects() {
        return List.copyOf(subjects.keySet());
    }

    List<Version> versions(String subject) {
        List<Version> versions = subjects.get(subject);
        if (versions == null) {
            throw RegistryError.subjectNotFound(subject);
        }
        return List.copyOf(versions);
    }

    Optional<Version> find(String subject, String key) {
        return versions(subject).stream().filter(v -> v.key().equals(key)).findFirst();
    }

    Optional<String> schemaById(int id) {
        return Optional.ofNullable(schemasById.get(id));
    }

    /** Subjects and versions using schema {@code id}. */
    List<Version> usagesOf(int id) {
        List<Version> usages = new ArrayList<>();
        subjects.values().forEach(versions -> versions.stream().filter(v -> v.id() == id).forEach(usages::add));
        return usages;
    }

    /** The id a new registration of {@code key} gets: an existing one for the same schema, else the next. */
    int idFor(String key) {
        Integer existing = idsByKey.get(key);
        return existing != null ? existing : maxId + 1;
    }

    CompatibilityLevel globalLevel() {
        return globalLevel;
    }

    Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    CompatibilityLevel effectiveLevel(String subject) {
        return subjectLevels.getOrDefault(subject, globalLevel);
    }

    int schemaCount() {
        return schemasById.size();
    }
}
