package io.streamseek.gpu.runner;

import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.sampling.SamplingParams;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StopStringsTest {

    /** Each token id decodes to its own number and a space, so stop strings are easy to place. */
    private static String decode(int[] ids) {
        return Arrays.stream(ids).mapToObj(id -> id + " ").collect(Collectors.joining());
    }

    @Test
    void cutsAtTheEarliestStopString() {
        StopStrings stops = new StopStrings(List.of("7 8", "3 "), StopStringsTest::decode);
        assertThat(stops.shouldStop(new int[] {1, 2, 9}, 3)).isFalse();
        assertThat(stops.shouldStop(new int[] {1, 3, 9}, 2)).isTrue();
        assertThat(stops.cut("1 7 8 3 4")).isEqualTo("1 ");
        assertThat(stops.cut("no stop here")).isEqualTo("no stop here");
        assertThatThrownBy(() -> new StopStrings(List.of(""), StopStringsTest::decode)).hasMessage("stop strings must not be empty");
    }

    @Test
    void generationEndsOnStopTokenStopStringOrLength(@TempDir Path dir) throws Exception {
        RandomCheckpoint.write(ModelPreset.TINY.config(), dir, 9, DType.F32, false, null);
        try (Checkpoint checkpoint = Checkpoint.open(dir); CpuWorkers workers = new CpuWorkers(2)) {
            DeepSeekModel model = ModelLoader.load(checkpoint);
            Generator generator = new Generator(model, workers);
            int[] prompt = {0, 5, 6, 7};
            Generator.Result free = generator.generate(prompt, 6, SamplingParams.GREEDY, new int[0], null);
            assertThat(free.tokens()).hasSize(6);
            assertThat(free.finishReason()).isEqualTo(Generator.FinishReason.LENGTH);

            int third = free.tokens()[2];
            Generator.Result byToken = generator.generate(prompt, 6, SamplingParams.GREEDY, new int[] {third}, null);
            assertThat(byToken.tokens()).containsExactly(Arrays.copyOf(free.tokens(), 3));
            assertThat(byToken.finishReason()).isEqualTo(Generator.FinishReason.STOP);

            StopStrings stop = new StopStrings(List.of(free.tokens()[1] + " "), StopStringsTest::decode);
            Generator.Result byString = generator.generate(prompt, 6, SamplingParams.GREEDY, new int[0], stop, null);
            assertThat(byString.tokens()).containsExactly(Arrays.copyOf(free.tokens(), 2));
            assertThat(byString.finishReason()).isEqualTo(Generator.FinishReason.STOP_STRING);

            assertThatThrownBy(() -> generator.generate(new int[512], 1, SamplingParams.GREEDY, new int[0], null))
                    .hasMessage("the prompt has 512 tokens but the model's context holds 512 (max_position_embeddings), leaving no room to generate");
        }
    }
}
