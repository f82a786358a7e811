package io.streamseek.gpu.runner;

import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.sampling.SamplingParams;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The decode loop allocates nothing per token: 64 more tokens cost no more heap than 8. */
class DecodeAllocationTest {

    @Test
    void decodeStepsAllocateNothing(@TempDir Path dir) throws Exception {
        RandomCheckpoint.write(ModelPreset.TINY.config(), dir, 4, DType.BF16, false, null);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Checkpoint checkpoint = Checkpoint.open(dir); CpuWorkers workers = new CpuWorkers(2)) {
            Generator generator = new Generator(ModelLoader.load(checkpoint), workers);
            int[] prompt = {0, 9, 8, 7, 6};
            SamplingParams sampling = new SamplingParams(0.8f, 0.95f, 40, 3);
            for (int warmUp = 0; warmUp < 20; warmUp++) {
                generator.generate(prompt, 72, sampling, new int[0], null); // lets the JIT settle
            }
            int cacheBytesPerToken = 4 * (ModelPreset.TINY.config().kvLoraRank() + ModelPreset.TINY.config().qkRopeHeadDim())
                    * ModelPreset.TINY.config().numHiddenLayers();
            // Vector code allocates until C2 has compiled it, which takes a varying number of
            // calls on a busy machine: the least of several measurements is the settled figure.
            long perExtraToken = Long.MAX_VALUE;
            for (int attempt = 0; attempt < 20 && perExtraToken > cacheBytesPerToken + 16; attempt++) {
                long thread = Thread.currentThread().getId();
                long before = threads.getThreadAllocatedBytes(thread);
                generator.generate(prompt, 8, sampling, new int[0], null);
                long shortRun = threads.getThreadAllocatedBytes(thread) - before;
                before = threads.getThreadAllocatedBytes(thread);
                generator.generate(prompt, 72, sampling, new int[0], null);
                long longRun = threads.getThreadAllocatedBytes(thread) - before;
                // Both runs allocate their per-request buffers (cache, result); the 64 extra steps only
                // add the longer result and cache arrays, a few bytes per token per layer, nothing per step.
                perExtraToken = Math.min(perExtraToken, (longRun - shortRun) / 64);
            }
            assertThat(perExtraToken).as("bytes allocated per extra decode step").isLessThanOrEqualTo(cacheBytesPerToken + 16);
        }
    }
}
