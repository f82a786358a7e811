package io.streamseek.infra.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RequestLatencyTest {

    @Test
    void thePartsAddUpToProduceToVisible() {
        // sent at 1000, admitted at 1040, computed from 1050, first token at 1090, done at 1240, visible at 1900.
        RequestLatency r = new RequestLatency("r", 1000.0, 1900.5, 1240, 200, 10, 50, 16);
        assertThat(r.endToEnd()).isEqualTo(900.5);
        assertThat(r.commitWait()).isEqualTo(660.5);
        assertThat(r.toEngine()).isEqualTo(40.0);
        assertThat(r.engineQueue()).isEqualTo(10);
        assertThat(r.firstToken()).isEqualTo(40);
        assertThat(r.generation()).isEqualTo(150);
        assertThat(r.toEngine() + r.engineQueue() + r.firstToken() + r.generation() + r.commitWait()).isEqualTo(r.endToEnd());
    }

    @Test
    void wholeMillisecondRecordsNeverGiveANegativePart() {
        // produced_at rounds down and total_ms up: the time to the engine comes out at -0.6 ms, shown as 0.
        RequestLatency r = new RequestLatency("r", 1000.4, 1300.0, 1250, 250, 0, 20, 4);
        assertThat(r.toEngine()).isZero();
        assertThat(r.toEngine() + r.engineQueue() + r.firstToken() + r.generation() + r.commitWait()).isCloseTo(r.endToEnd(), within(1.0));
    }

    @Test
    void steadyStateLeavesOutTheRampAndTheTail() {
        java.util.List<RequestLatency> byVisibility = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            byVisibility.add(new RequestLatency("r" + i, 0, 1000.0 * i, 0, 0, 0, 0, 10));
        }
        double[] steady = PipelineBench.steadyState(byVisibility);
        // From the 3rd (index 2) to the 18th (index 17) visible: 15 completions of 10 tokens in 15 s.
        assertThat(steady[0]).isEqualTo(10.0);
        assertThat(steady[1]).isEqualTo(1.0);
    }
}
