package io.streamseek.infra.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoadTest {

    @Test
    void withoutARateItIsAClosedLoopOfTheConcurrency() {
        assertThat(Load.parse(null, 64)).isEqualTo(new Load.Outstanding(64));
    }

    @Test
    void aRateIsPromptsPerSecondOrAShareOfTheMeasuredCapacity() {
        assertThat(Load.parse("4.5", 64)).isEqualTo(new Load.Rate(4.5));
        Load half = Load.parse("50%", 64);
        assertThat(half).isEqualTo(new Load.CapacityShare(0.5));
        assertThat(((Load.CapacityShare) half).of(5.0)).isEqualTo(new Load.Rate(2.5));
    }

    @Test
    void aBadRateNamesTheFlagAndTheValue() {
        assertThatThrownBy(() -> Load.parse("fast", 64)).hasMessageContaining("--rate").hasMessageContaining("'fast'");
        assertThatThrownBy(() -> Load.parse("0", 64)).hasMessageContaining("--rate must be a positive number");
        assertThatThrownBy(() -> Load.parse("-5%", 64)).hasMessageContaining("share of the engine's capacity");
        assertThatThrownBy(() -> Load.parse(null, 0)).hasMessageContaining("--concurrency must be at least 1");
    }
}
