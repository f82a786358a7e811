package io.streamseek.schemas.evolution;

import io.streamseek.schemas.topics.Topic;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The evolution policy, enforced: every topic's current schema is released (equal to its newest
 * history file) and can read data written with every earlier release (BACKWARD_TRANSITIVE), checked
 * with Avro's own compatibility checker.
 */
class SchemaEvolutionTest {

    @ParameterizedTest
    @EnumSource(Topic.class)
    void currentSchemaIsTheNewestRelease(Topic topic) throws IOException {
        Schema current = topic.valueSchema();
        List<Schema> released = SchemaHistory.versions(current.getName());
        assertThat(released).as("released versions of %s", current.getName()).isNotEmpty();
        if (!released.get(released.size() - 1).equals(current)) {
            int next = released.size() + 1;
            Path candidate = Path.of("target", "schema-release-candidates", SchemaHistory.resource(current.getName(), next));
            Files.createDirectories(candidate.getParent());
            Files.writeString(candidate, current.toString(true) + "\n");
            fail("%s changed since its last release (v%d). If the change is intended, release it: copy %s to "
                            + "kafka-schemas/src/main/resources/%s (see kafka-schemas/README.md, 'Evolving a schema').",
                    current.getName(), released.size(), candidate.toAbsolutePath(), SchemaHistory.resource(current.getName(), next));
        }
    }

    @ParameterizedTest
    @EnumSource(Topic.class)
    void currentSchemaReadsEveryEarlierRelease(Topic topic) {
        Schema current = topic.valueSchema();
        List<Schema> released = SchemaHistory.versions(current.getName());
        for (int i = 0; i < released.size(); i++) {
            SchemaCompatibility.SchemaPairCompatibility result =
                    SchemaCompatibility.checkReaderWriterCompatibility(current, released.get(i));
            assertThat(result.getType())
                    .as("%s (current) reading data written with v%d: %s", current.getName(), i + 1, result.getResult().getIncompatibilities())
                    .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        }
    }

    /** The checker this policy relies on does catch the classic mistakes. */
    @ParameterizedTest
    @EnumSource(Topic.class)
    void checkerRejectsARequiredFieldAddedWithoutDefault(Topic topic) {
        Schema current = topic.valueSchema();
        SchemaBuilder.FieldAssembler<Schema> fields = SchemaBuilder.record(current.getName()).namespace(current.getNamespace()).fields();
        for (Schema.Field field : current.getFields()) {
            fields = fields.name(field.name()).type(field.schema()).noDefault();
        }
        Schema broken = fields.name("added_without_default").type().stringType().noDefault().endRecord();
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(broken, current).getType())
                .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    }
}
