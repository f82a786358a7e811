package io.streamseek.schemas.evolution;

import org.apache.avro.Schema;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Every released version of a contract schema, kept in this module as
 * {@code io/streamseek/schemas/history/<RecordName>/v<N>.avsc} (N = 1, 2, ... without gaps). A
 * released version is never edited: a change to a schema is released by adding the next file, and
 * the evolution test checks it against all earlier ones (BACKWARD_TRANSITIVE).
 */
public final class SchemaHistory {

    /** Classpath folder holding one sub-folder per record name. */
    public static final String ROOT = "io/streamseek/schemas/history/";

    private SchemaHistory() {
    }

    /** The released versions of the record named {@code recordName}, oldest first. */
    public static List<Schema> versions(String recordName) {
        List<Schema> versions = new ArrayList<>();
        ClassLoader loader = SchemaHistory.class.getClassLoader();
        for (int version = 1; ; version++) {
            String path = resource(recordName, version);
            try (InputStream in = loader.getResourceAsStream(path)) {
                if (in == null) {
                    return versions;
                }
                versions.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read released schema " + path, e);
            }
        }
    }

    /** The classpath resource of one released version. */
    public static String resource(String recordName, int version) {
        return ROOT + recordName + "/v" + version + ".avsc";
    }
}
