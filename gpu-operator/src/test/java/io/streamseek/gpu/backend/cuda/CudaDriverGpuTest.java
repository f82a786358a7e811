package io.streamseek.gpu.backend.cuda;

import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.f32;
import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.i32;
import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.ptr;
import static org.assertj.core.api.Assertions.assertThat;

import io.streamseek.gpu.backend.cuda.driver.CudaContext;
import io.streamseek.gpu.backend.cuda.driver.CudaDevice;
import io.streamseek.gpu.backend.cuda.driver.CudaDriver;
import io.streamseek.gpu.backend.cuda.driver.CudaEvent;
import io.streamseek.gpu.backend.cuda.driver.CudaStream;
import io.streamseek.gpu.backend.cuda.driver.DeviceBuffer;
import io.streamseek.gpu.backend.cuda.driver.KernelModule;
import io.streamseek.gpu.backend.cuda.driver.PinnedBuffer;
import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;
import io.streamseek.gpu.backend.cuda.kernel.LaunchGeometry;

import org.junit.jupiter.api.Test;

/** The driver layer on a real GPU: device, context, copies both ways, a launch (test-only PTX). */
@RequiresGpu
class CudaDriverGpuTest {

    /** src/test/resources/.../ptx/test_probe.ptx: out[i] = a * in[i] + 1 for i < n. */
    private static final KernelSignature AXPB = KernelSignature.of("test_probe", "test_probe_axpb", ptr("out"), ptr("in"), i32("n"), f32("a"));

    @Test
    void copiesFloatsToTheDeviceAndBack() {
        CudaDevice device = CudaDriver.load().device(0);
        try (CudaContext context = device.openContext(); DeviceBuffer buffer = context.allocate(1024 * Float.BYTES, "smoke test")) {
            float[] values = new float[1024];
            for (int i = 0; i < values.length; i++) {
                values[i] = i * 0.5f - 100;
            }
            buffer.upload(values, 0, values.length, 0);
            float[] back = new float[1024];
            buffer.download(back, 0, back.length, 0);
            assertThat(back).containsExactly(values);

            buffer.zero(8, 4 * Float.BYTES, null);
            float[] partial = new float[6];
            buffer.download(partial, 0, 6, 0);
            assertThat(partial).containsExactly(-100f, -99.5f, 0f, 0f, 0f, 0f);
            assertThat(device.peakMemoryBandwidth()).isPositive();
            assertThat(context.memoryInfo().free()).isPositive();
        }
    }

    @Test
    void launchesAKernelOnAStreamWithPinnedCopies() {
        CudaDevice device = CudaDriver.load().device(0);
        int n = 1000;
        try (CudaContext context = device.openContext();
                KernelModule module = context.loadModule("test_probe");
                CudaStream stream = context.newStream();
                CudaEvent start = context.newEvent();
                CudaEvent end = context.newEvent();
                PinnedBuffer host = context.pinned((long) n * Float.BYTES);
                DeviceBuffer in = context.allocate((long) n * Float.BYTES, "probe input");
                DeviceBuffer out = context.allocate((long) n * Float.BYTES, "probe output")) {
            for (int i = 0; i < n; i++) {
                host.buffer().putFloat(i * Float.BYTES, i);
            }
            in.upload(host, 0, host.bytes(), 0, stream);
            start.record(stream);
            module.kernel(AXPB).launch(stream, LaunchGeometry.cover(n, 256), out, in, n, 2.0f);
            end.record(stream);
            out.download(host, 0, host.bytes(), 0, stream);
            stream.synchronize();

            for (int i = 0; i < n; i++) {
                assertThat(host.buffer().getFloat(i * Float.BYTES)).as("out[%d]", i).isEqualTo(2.0f * i + 1);
            }
            assertThat(start.elapsedMillis(end)).isGreaterThanOrEqualTo(0f);
        }
    }
}
