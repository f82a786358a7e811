package io.streamseek.flink.sql;

import org.apache.flink.configuration.ConfigOption;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every model option is documented where it is defined, known to the factory, and has a row in the module's README. */
class StreamSeekModelOptionsDocTest {

    @Test
    void everyOptionHasADescriptionARowInTheReadmeAndIsKnownToTheFactory() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Field field : StreamSeekModelOptions.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == ConfigOption.class) {
                options.add((ConfigOption<?>) field.get(null));
            }
        }
        StreamSeekModelProviderFactory factory = new StreamSeekModelProviderFactory();
        HashSet<ConfigOption<?>> known = new HashSet<>(factory.requiredOptions());
        known.addAll(factory.optionalOptions());
        assertThat(known).containsExactlyInAnyOrderElementsOf(options);
        for (ConfigOption<?> option : options) {
            assertThat(option.description().toString()).as(option.key()).isNotBlank();
            assertThat(readme).as("README row for " + option.key()).contains("| `" + option.key() + "` |");
        }
        for (ModelColumns.In column : ModelColumns.In.values()) {
            assertThat(readme).as("README row for INPUT column " + column.columnName()).contains("| `" + column.columnName() + "` |");
        }
        for (ModelColumns.Out column : ModelColumns.Out.values()) {
            assertThat(readme).as("README row for OUTPUT column " + column.columnName()).contains("| `" + column.columnName() + "` |");
        }
    }
}
