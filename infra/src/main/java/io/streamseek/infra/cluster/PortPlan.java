package io.streamseek.infra.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Chooses the loopback ports of a cluster when it is first planned.
 *
 * <p>The ports are written to {@code cluster.json} and bound only later, one process after another,
 * so a port the kernel hands out as free ({@code bind(0)}) is unsafe: it comes from the ephemeral
 * range, where every outgoing connection of the processes started in the meantime (Kafka's own
 * clients, ZooKeeper's, the job client's) also takes its local port. Ports here are drawn from
 * below that range instead, where the kernel never assigns one by itself, and each is checked to
 * be bindable and not already in the plan.
 */
final class PortPlan {

    /** Linux's default when {@code /proc/sys/net/ipv4/ip_local_port_range} cannot be read. */
    private static final int DEFAULT_EPHEMERAL_LOW = 32768;
    /** Below this lie the well-known ports of services a developer's machine may run. */
    private static final int LOWEST = 10000;

    private final int low;
    private final int high;
    private final Set<Integer> taken = new HashSet<>();

    private PortPlan(int low, int high) {
        this.low = low;
        this.high = high;
    }

    /** A plan over the ports between 10000 and the start of this machine's ephemeral range. */
    static PortPlan belowEphemeralRange() {
        int ephemeralLow = ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
        if (ephemeralLow - LOWEST < 1000) {
            // A machine whose ephemeral range starts low (Windows' 49152 does not): use the band above it.
            return new PortPlan(61000, 65535);
        }
        return new PortPlan(LOWEST, ephemeralLow - 1);
    }

    static int ephemeralLow(Path rangeFile) {
        // A line read, not the whole file: /proc reports a size the JDK's whole-file reads trust, and cut short.
        try (java.io.BufferedReader reader = Files.newBufferedReader(rangeFile)) {
            String[] bounds = reader.readLine().trim().split("\\s+");
            return Integer.parseInt(bounds[0]);
        } catch (IOException | RuntimeException e) {
            return DEFAULT_EPHEMERAL_LOW;
        }
    }

    /** Ports {@link #next} must not return: those of processes planned earlier, running or not. */
    void reserve(java.util.Collection<Integer> ports) {
        taken.addAll(ports);
    }

    /** A port that is bindable on loopback now and that no earlier call of this plan returned. */
    int next() {
        int span = high - low + 1;
        int start = ThreadLocalRandom.current().nextInt(span);
        for (int i = 0; i < span; i++) {
            int port = low + (start + i) % span;
            if (!taken.contains(port) && bindable(port)) {
                taken.add(port);
                return port;
            }
        }
        throw new UncheckedIOException(new IOException("no free loopback port between " + low + " and " + high));
    }

    static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
