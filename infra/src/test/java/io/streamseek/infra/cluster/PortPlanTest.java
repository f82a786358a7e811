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
        int ephemeralLow = PortPlan.ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
        PortPlan plan = PortPlan.belowEphemeralRange();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            int port = plan.next();
            assertTrue(seen.add(port), "port " + port + " returned twice");
            assertTrue(port < ephemeralLow || port > 60999, "port " + port + " lies in the ephemeral range from " + ephemeralLow);
            assertTrue(PortPlan.bindable(port), "port " + port);
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
