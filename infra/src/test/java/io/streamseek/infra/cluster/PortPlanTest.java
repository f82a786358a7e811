package io.streamseek.infra.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PortPlanTest {

    @Test
    void portsAreDistinctBindableAndBelowTheEphemeralRange() {
        Path kernels = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        int ephemeralLow = PortPlan.ephemeralLow(kernels);
        if (Files.isReadable(kernels)) {
            assertEquals(Integer.parseInt(readFirstWord(kernels)), ephemeralLow, "the kernel's ephemeral range, read in full");
        }
        PortPlan plan = PortPlan.belowEphemeralRange();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            int port = plan.next();
            assertTrue(seen.add(port), "port " + port + " returned twice");
            assertTrue(port < ephemeralLow || port > 60999, "port " + port + " lies in the ephemeral range from " + ephemeralLow);
            assertTrue(PortPlan.bindable(port), "port " + port);
        }
    }

    private static String readFirstWord(Path file) {
        try (var reader = Files.newBufferedReader(file)) {
            return reader.readLine().trim().split("\\s+")[0];
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theEphemeralRangeIsReadFromTheKernelsFileOrDefaultsToLinuxs(@TempDir Path dir) throws IOException {
        Path range = Files.writeString(dir.resolve("ip_local_port_range"), "40000\t60999\n");
        assertEquals(40000, PortPlan.ephemeralLow(range));
        assertEquals(32768, PortPlan.ephemeralLow(dir.resolve("absent")));
        assertEquals(32768, PortPlan.ephemeralLow(Files.writeString(dir.resolve("garbled"), "low high")));
    }
}
