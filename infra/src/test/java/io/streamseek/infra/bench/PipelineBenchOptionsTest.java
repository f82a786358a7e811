package io.streamseek.infra.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad options fail when they are given, not after the engine-alone run has taken minutes. */
class PipelineBenchOptionsTest {

    @Test
    void aBadDeliveryNamesTheOptionAndItsValues() {
        assertThatThrownBy(() -> options(256, "exactly-twice")).hasMessageContaining("streamseek.delivery is 'exactly-twice'")
                .hasMessageContaining("exactly-once or at-least-once");
    }

    @Test
    void tooFewPromptsForASteadyStateAreRefused() {
        assertThatThrownBy(() -> options(5, "exactly-once")).hasMessageContaining("--prompts must be at least 10");
    }

    private static PipelineBench.Options options(int prompts, String delivery) {
        return new PipelineBench.Options(Path.of("m"), Path.of("d"), prompts, 64, new Load.Outstanding(64), 32, 64, List.of(Duration.ofSeconds(1)),
                delivery);
    }
}
