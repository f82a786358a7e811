package io.streamseek.schemas.registry.embedded;

import io.streamseek.schemas.registry.CompatibilityLevel;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;

import java.util.ArrayList;
import java.util.List;

/**
 * A compatibility level enforced with Avro's own checker. BACKWARD: the new schema reads data
 * written with an existing one; FORWARD: an existing one reads data written with the new one.
 * Non-transitive levels check against the latest version only.
 */
final class CompatibilityCheck {

    private CompatibilityCheck() {
    }

    /**
     * The reasons {@code candidate} breaks {@code level} against {@code existing} (oldest first);
     * empty when it is compatible.
     */
    static List<String> violations(CompatibilityLevel level, Schema candidate, List<Schema> existing) {
        List<String> messages = new ArrayList<>();
        if (level == CompatibilityLevel.NONE || existing.isEmpty()) {
            return messages;
        }
        List<Schema> against = level.isTransitive() ? existing : List.of(existing.get(existing.size() - 1));
        for (Schema old : against) {
            int version = existing.indexOf(old) + 1;
            if (level.checksBackward()) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, old), "BACKWARD", version, messages);
            }
            if (level.checksForward()) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(old, candidate), "FORWARD", version, messages);
            }
        }
        return messages;
    }

    private static void describe(SchemaCompatibility.SchemaPairCompatibility result, String direction, int version, List<String> out) {
        for (Incompatibility incompatibility : result.getResult().getIncompatibilities()) {
            out.add("{oldSchemaVersion: " + version + ", direction: " + direction + ", errorType:'" + incompatibility.getType()
                    + "', description:'" + incompatibility.getMessage() + "', location:'" + incompatibility.getLocation() + "'}");
        }
    }
}
