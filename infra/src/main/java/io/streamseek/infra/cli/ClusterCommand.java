package io.streamseek.infra.cli;

import io.streamseek.infra.cluster.ClusterProcess;
import io.streamseek.infra.cluster.FlinkDistribution;
import io.streamseek.infra.cluster.FlinkSqlClient;
import io.streamseek.infra.cluster.LocalCluster;
import io.streamseek.infra.cluster.Role;
import io.streamseek.infra.demo.DemoModels;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./streamseek cluster up|down|restart|status}: the production topology as separate
 * processes on this machine ({@link LocalCluster}). {@code up} returns once the job runs; the
 * processes keep running until {@code down}.
 */
final class ClusterCommand {

    /** The shaded job jar ({@code ./streamseek} sets it to flink-jobs' build). */
    static final String JOB_JAR_PROPERTY = "streamseek.job.jar";

    static final String USAGE = String.join("\n",
            "usage: ./streamseek cluster up [--taskmanagers 2] [--brokers 3] [--slots 1] [--taskmanager-memory 2g] [--model DIR|FILE.gguf]",
            "                               [--parallelism N] [--sql-gateway] [--data DIR]",
            "       ./streamseek cluster down [--data DIR]",
            "       ./streamseek cluster restart ROLE[:INDEX] [--data DIR]     (roles: zookeeper, kafka, schema-registry, jobmanager, taskmanager,",
            "                                                               sql-gateway)",
            "       ./streamseek cluster status [--data DIR]",
            "       ./streamseek cluster sql-client [--data DIR] [SQL client options: -f FILE.sql, -i INIT.sql, -D key=value]",
            "  up starts ZooKeeper, a KRaft Kafka cluster, the schema registry, a Flink JobManager (ZooKeeper HA) and TaskManagers,",
            "  each its own process, and submits the job jar through Flink's REST API; DIR/cluster.json lists every process",
            "  (role, pid, ports, log). down stops the job with a savepoint, then every process; the next up resumes from it.",
            "  restart starts a killed process again with the same identity and data. DIR defaults to streamseek-cluster.",
            "  --parallelism: the job's subtasks (default: every slot; fewer leave slots for SQL jobs). --sql-gateway adds Flink's",
            "  SQL Gateway (REST endpoint) to the cluster; sql-client runs Flink's own SQL client against it (a shell, or -f FILE.sql).",
            "  produce/consume reach the cluster with --cluster DIR.");

    private ClusterCommand() {
    }

    static int run(String[] args, PrintStream out) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("cluster: say up, down, restart, status or sql-client\n" + USAGE);
        }
        String action = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (action) {
            case "up" -> {
                Flags f = new Flags("cluster up", rest, Set.of("--taskmanagers", "--brokers", "--slots", "--taskmanager-memory", "--model", "--data",
                        "--parallelism"), Set.of("--sql-gateway"), USAGE);
                Path data = Files.createDirectories(Path.of(f.get("--data", "streamseek-cluster"))).toAbsolutePath();
                Path model = f.has("--model") ? Path.of(f.get("--model", "")) : DemoModels.small(data, out);
                String jar = System.getProperty(JOB_JAR_PROPERTY);
                if (jar == null || !Files.isRegularFile(Path.of(jar))) {
                    throw new IllegalStateException("no job jar (" + jar + "): run through ./streamseek, which builds flink-jobs' shaded jar");
                }
                boolean sqlGateway = f.has("--sql-gateway");
                LocalCluster cluster = LocalCluster.up(new LocalCluster.Options(data, model, f.integer("--taskmanagers", 2), f.integer("--brokers", 3),
                        f.integer("--slots", 1), f.get("--taskmanager-memory", "2g"), Path.of(jar), FlinkDistribution.classpath(),
                        System.getProperty("java.class.path"), Map.of(), f.integer("--parallelism", 0),
                        sqlGateway ? FlinkDistribution.sqlClasspath() : null), out);
                if (cluster.sqlGatewayUrl().isPresent()) {
                    out.println("SQL Gateway " + cluster.sqlGatewayUrl().get() + ": ./streamseek cluster sql-client --data " + data
                            + " [-f FILE.sql] runs Flink's SQL client against it; ADD JAR '" + Path.of(jar).toAbsolutePath()
                            + "'; gives a session the streamseek model provider.");
                }
                out.println("./streamseek cluster down --data " + data + " stops it (the job with a savepoint first).");
            }
            case "down" -> LocalCluster.open(data(rest, action), out).down();
            case "status" -> {
                LocalCluster cluster = LocalCluster.open(data(rest, action), out);
                cluster.print();
                String job = cluster.content().jobId();
                if (job != null && cluster.rest().serving()) {
                    out.println("job " + job + ": " + cluster.rest().jobState(job));
                }
            }
            case "restart" -> {
                if (rest.length == 0 || rest[0].startsWith("--")) {
                    throw new IllegalArgumentException("cluster restart: which process? ROLE[:INDEX], e.g. taskmanager:2\n" + USAGE);
                }
                String[] name = rest[0].split(":", 2);
                Role role = Role.of(name[0]);
                int index;
                try {
                    index = name.length == 2 ? Integer.parseInt(name[1]) : 1;
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("cluster restart: the index in '" + rest[0] + "' is not a number");
                }
                LocalCluster cluster = LocalCluster.open(data(Arrays.copyOfRange(rest, 1, rest.length), action), out);
                cluster.restart(role, index);
                ClusterProcess p = cluster.find(role, index);
                out.println(p.name() + " is serving again (pid " + p.pid() + ")");
            }
            case "sql-client" -> {
                return sqlClient(rest, out);
            }
            default -> throw new IllegalArgumentException("cluster: unknown action '" + action + "'\n" + USAGE);
        }
        return 0;
    }

    /** Flink's SQL client in this terminal (or on a file), its exit status the command's. */
    private static int sqlClient(String[] args, PrintStream out) throws Exception {
        Path data = Path.of("streamseek-cluster");
        List<String> client = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--data")) {
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException("cluster sql-client: --data needs a value\n" + USAGE);
                }
                data = Path.of(args[++i]);
            } else {
                client.add(args[i]);
            }
        }
        LocalCluster cluster = LocalCluster.open(data.toAbsolutePath(), out);
        Process process = FlinkSqlClient.process(cluster, FlinkDistribution.classpath(), FlinkDistribution.sqlClasspath(), client)
                .inheritIO().start();
        return process.waitFor();
    }

    private static Path data(String[] args, String action) {
        Flags f = new Flags("cluster " + action, args, Set.of("--data"), Set.of(), USAGE);
        return Path.of(f.get("--data", "streamseek-cluster")).toAbsolutePath();
    }
}
