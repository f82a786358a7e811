package io.streamseek.flink.job;

import org.apache.flink.configuration.ConfigOption;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every option is documented where it is defined and listed in the module's README. */
class InferenceJobOptionsTest {

    @Test
    void everyOptionHasADescriptionAndARowInTheReadme() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Field field : InferenceJobOptions.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == ConfigOption.class) {
                options.add((ConfigOption<?>) field.get(null));
            }
        }
        assertThat(options).hasSizeGreaterThan(20);
        for (ConfigOption<?> option : options) {
            assertThat(option.description().toString()).as(option.key()).isNotBlank();
            assertThat(readme).as("README row for " + option.key()).contains("| `" + option.key() + "` |");
        }
    }

    @Test
    void argumentsAreKeyValuePairs() {
        assertThat(InferenceJob.arguments(new String[] {"--streamseek.model.path", "/m", "--streamseek.engine.threads", "2"}))
                .containsEntry("streamseek.model.path", "/m").containsEntry("streamseek.engine.threads", "2");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> InferenceJob.arguments(new String[] {"--streamseek.model.path"}))
                .hasMessageContaining("--key value");
    }

    @Test
    void aDeliveryModeIsOneOfTheTwoNamedOnesAndNothingElse() {
        assertThat(Delivery.of(InferenceJobOptions.DELIVERY.defaultValue())).isEqualTo(Delivery.EXACTLY_ONCE);
        assertThat(Delivery.of("at-least-once")).isEqualTo(Delivery.AT_LEAST_ONCE);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Delivery.of("AT_LEAST_ONCE"))
                .hasMessage("streamseek.delivery is 'AT_LEAST_ONCE'; it takes exactly-once or at-least-once");
    }
}
