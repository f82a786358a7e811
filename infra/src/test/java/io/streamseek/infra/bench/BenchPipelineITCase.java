package io.streamseek.infra.bench;

import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.tokenizer.TokenizerFiles;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The pipeline benchmark's accounting on the tiny model, through the real stack and job: every
 * produced request counted once, every latency non-negative and in order (sent, produced, visible),
 * the split adding up to produce-to-visible, and both throughputs measured.
 */
class BenchPipelineITCase {

    @Test
    void everyRequestIsCountedOnceWithOrderedLatenciesThatAddUp(@TempDir Path dir) throws Exception {
        Path model = Files.createDirectories(dir.resolve("tiny"));
        RandomCheckpoint.write(ModelPreset.TINY.config(), model, 5, DType.BF16, false, null);
        TokenizerFiles.write(model, ModelPreset.TINY.config().vocabSize(), ModelPreset.TINY.config().maxPositionEmbeddings());

        PipelineBench.Result result = PipelineBench.run(new PipelineBench.Options(model, dir.resolve("data"), 24, 4, new Load.Outstanding(4), 12,
                4, List.of(Duration.ofMillis(500)), "exactly-once"), System.out);

        assertThat(result.runs()).hasSize(1);
        PipelineBench.Run run = result.runs().get(0);
        List<RequestLatency> requests = run.requests();
        assertThat(requests).extracting(RequestLatency::requestId).hasSize(24).doesNotHaveDuplicates();
        for (RequestLatency r : requests) {
            assertThat(r.producedAtMs()).as("produced after it was sent: %s", r).isGreaterThanOrEqualTo((long) Math.floor(r.sentMs()));
            assertThat(r.visibleMs()).as("visible after it was produced: %s", r).isGreaterThanOrEqualTo(r.producedAtMs());
            assertThat(List.of(r.toEngine(), r.engineQueue(), r.firstToken(), r.generation(), r.commitWait())).allMatch(v -> v >= 0);
            assertThat(r.toEngine() + r.engineQueue() + r.firstToken() + r.generation() + r.commitWait()).as("the split of %s", r)
                    .isCloseTo(r.endToEnd(), within(2.0));
            assertThat(r.completionTokens()).isBetween(1, 4);
        }
        assertThat(requests).extracting(RequestLatency::visibleMs).isSorted();
        assertThat(run.tokensPerSecond()).isPositive();
        assertThat(result.engine().tokensPerSecond()).isPositive();
        assertThat(result.meanPromptTokens()).isGreaterThanOrEqualTo(12);
        assertThat(run.checkpoints().completed()).as("checkpoints seen through the REST API while it ran").isPositive();
        assertThat(run.checkpoints().durationMaxMs()).isGreaterThanOrEqualTo((long) run.checkpoints().durationP50Ms());
        assertThat(PipelineReport.csv(result.runs()).lines()).hasSize(25);
        assertThat(LatencyPlot.svg(result)).startsWith("<svg").contains("checkpoint interval PT0.5S");
    }
}
