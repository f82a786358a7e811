package io.streamseek.infra.cluster;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One OS process of the local cluster, as {@code cluster.json} lists it: its role and index (Kafka
 * node 2 is {@code kafka:2}), its pid while it runs (0 when stopped), its ports, the command line it
 * was started with, which {@code cluster restart} runs again with the same identity and data, and
 * its log file.
 */
public record ClusterProcess(Role role, int index, long pid, Map<String, Integer> ports, List<String> command, String log) {

    /** The JVM system property every process of the cluster is started with: how a pid is told from a reused one. */
    static final String MARKER = "streamseek.cluster.process";

    public ClusterProcess {
        ports = Map.copyOf(ports);
        command = List.copyOf(command);
    }

    /** {@code role:index}, e.g. {@code taskmanager:1}. */
    public String name() {
        return role.id() + ":" + index;
    }

    /** The running OS process with this entry's pid and marker, if any. */
    public Optional<ProcessHandle> handle() {
        if (pid <= 0) {
            return Optional.empty();
        }
        String marker = "-D" + MARKER + "=" + name();
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(p -> p.info().arguments().map(args -> List.of(args).contains(marker)).orElse(true));
    }

    public boolean alive() {
        return handle().isPresent();
    }

    ClusterProcess withPid(long newPid) {
        return new ClusterProcess(role, index, newPid, ports, command, log);
    }
}
