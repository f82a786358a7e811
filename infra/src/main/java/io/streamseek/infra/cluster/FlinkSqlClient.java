package io.streamseek.infra.cluster;

import java.io.File;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Flink's own SQL client ({@code bin/sql-client.sh gateway}) against the SQL Gateway of a local
 * cluster: the distribution's classpath and its {@code opt/} SQL jars, the cluster's
 * {@code config.yaml}, and whatever the SQL client's own options say ({@code -f FILE} runs a file,
 * none opens its interactive shell).
 */
public final class FlinkSqlClient {

    private FlinkSqlClient() {
    }

    /**
     * The SQL client's process, not started.
     *
     * @param flinkClasspath {@link FlinkDistribution#classpath()}
     * @param sqlClasspath {@link FlinkDistribution#sqlClasspath()}
     * @param clientArguments the SQL client's options after {@code gateway --endpoint HOST:PORT}
     */
    public static ProcessBuilder process(LocalCluster cluster, String flinkClasspath, String sqlClasspath, List<String> clientArguments) {
        String url = cluster.sqlGatewayUrl().orElseThrow(() -> new IllegalStateException("the cluster in " + cluster.data()
                + " has no SQL Gateway: add one with ./streamseek cluster up --sql-gateway --data " + cluster.data()));
        if (!cluster.find(Role.SQL_GATEWAY, 1).alive()) {
            throw new IllegalStateException("the SQL Gateway of the cluster in " + cluster.data() + " is not running: start it with "
                    + "./streamseek cluster restart sql-gateway --data " + cluster.data());
        }
        URI endpoint = URI.create(url);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx512m");
        command.addAll(FlinkProcesses.JVM_OPTIONS);
        command.addAll(List.of("-cp", flinkClasspath + File.pathSeparator + sqlClasspath, "org.apache.flink.table.client.SqlClient",
                "gateway", "--endpoint", endpoint.getHost() + ":" + endpoint.getPort()));
        command.addAll(clientArguments);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("FLINK_CONF_DIR", cluster.flinkConfDir().toString());
        return builder;
    }
}
