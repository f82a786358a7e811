package io.streamseek.infra.cluster;

import java.util.Locale;

/** What a process of the local cluster is; its name is the one {@code cluster.json} and {@code cluster restart ROLE[:INDEX]} use. */
public enum Role {
    ZOOKEEPER,
    KAFKA,
    SCHEMA_REGISTRY,
    JOBMANAGER,
    TASKMANAGER,
    /** Flink's SQL Gateway (REST endpoint), only in a cluster started with {@code --sql-gateway}. */
    SQL_GATEWAY;

    /** {@code zookeeper}, {@code schema-registry}, ... */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The role named {@code id}, failing with the names there are. */
    public static Role of(String id) {
        for (Role role : values()) {
            if (role.id().equals(id)) {
                return role;
            }
        }
        throw new IllegalArgumentException("no role '" + id + "'; the roles are "
                + java.util.Arrays.stream(values()).map(Role::id).collect(java.util.stream.Collectors.joining(", ")));
    }
}
