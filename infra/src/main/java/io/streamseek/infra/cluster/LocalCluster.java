package io.streamseek.infra.cluster;

import io.streamseek.flink.job.InferenceJob;
import io.streamseek.flink.job.InferenceJobOptions;
import io.streamseek.schemas.topics.TopicProvisioner;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The production topology on one machine, every part its own OS process on loopback: a ZooKeeper
 * server, a KRaft Kafka cluster (each node broker and controller; topics replicated 3 times with
 * {@code min.insync.replicas} 2 when there are 3 nodes), the schema registry, a Flink JobManager
 * ({@code StandaloneSessionClusterEntrypoint}, ZooKeeper high availability) and TaskManagers
 * ({@code TaskManagerRunner}) on nothing but a Flink distribution's classpath. The inference job is
 * submitted as its shaded jar through the REST API, as users submit it.
 *
 * <p>Everything is under one data folder; {@code cluster.json} there lists every process with its
 * pid, ports and command line, so that a process killed (by a test, a person or the OOM killer)
 * is started again with the same identity, ports and data ({@link #restart}).
 */
public final class LocalCluster {

    /** Consumer group and transactional-id prefix of the cluster's job: a new submission resumes its offsets. */
    public static final String JOB_NAME = "streamseek-cluster";
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    /** Written to a process's log before each start: what it printed since is this run's. */
    private static final String START_LINE = "--- streamseek cluster: starting ";

    /**
     * What {@link #up} starts.
     *
     * @param data the folder of everything: logs, Kafka and ZooKeeper data, Flink's HA store,
     *     checkpoints and savepoints, {@code cluster.json}
     * @param model the checkpoint the job serves (a Hugging Face directory or a GGUF file)
     * @param jobJar the shaded job jar ({@code flink-jobs-VERSION-job.jar})
     * @param flinkClasspath a Flink distribution's classpath ({@link FlinkDistribution})
     * @param ownClasspath the classpath of the Kafka nodes and the registry: this module's
     * @param slots task slots per TaskManager
     * @param taskManagerMemory {@code taskmanager.memory.process.size}
     * @param jobOptions further job options ({@code streamseek.*}), over the cluster's defaults
     * @param parallelism the job's subtasks; 0 takes every slot ({@code taskManagers × slots}), fewer
     *     leave slots free for other jobs, such as the SQL Gateway's
     * @param sqlClasspath the SQL Gateway's {@code opt/} jars ({@link FlinkDistribution#sqlClasspath()})
     *     to add a SQL Gateway to the cluster, or null for none
     */
    public record Options(Path data, Path model, int taskManagers, int brokers, int slots, String taskManagerMemory, Path jobJar,
                          String flinkClasspath, String ownClasspath, Map<String, String> jobOptions, int parallelism, String sqlClasspath) {
        public Options {
            if (parallelism < 0 || parallelism > taskManagers * slots) {
                throw new IllegalArgumentException("--parallelism must be between 1 and the cluster's " + taskManagers * slots
                        + " slots (--taskmanagers × --slots), or 0 for all of them; was " + parallelism);
            }
            if (taskManagers < 1) {
                throw new IllegalArgumentException("--taskmanagers must be at least 1, was " + taskManagers);
            }
            if (brokers < 1) {
                throw new IllegalArgumentException("--brokers must be at least 1, was " + brokers);
            }
            jobOptions = Map.copyOf(jobOptions);
        }

        /** A cluster without a SQL Gateway whose job takes every slot. */
        public Options(Path data, Path model, int taskManagers, int brokers, int slots, String taskManagerMemory, Path jobJar,
                       String flinkClasspath, String ownClasspath, Map<String, String> jobOptions) {
            this(data, model, taskManagers, brokers, slots, taskManagerMemory, jobJar, flinkClasspath, ownClasspath, jobOptions, 0, null);
        }

        int jobParallelism() {
            return parallelism == 0 ? taskManagers * slots : parallelism;
        }
    }

    private final Path data;
    private final PrintStream out;
    private final List<ClusterProcess> processes;
    private ClusterFile.Content content;

    private LocalCluster(Path data, PrintStream out, ClusterFile.Content content) {
        this.data = data;
        this.out = out;
        this.content = content;
        this.processes = new ArrayList<>();
        for (ClusterFile.Entry e : content.processes()) {
            processes.add(e.process());
        }
    }

    /** The cluster {@code data}'s {@code cluster.json} describes, running or not. */
    public static LocalCluster open(Path data, PrintStream out) throws IOException {
        if (!Files.isRegularFile(ClusterFile.path(data))) {
            throw new IllegalStateException("no cluster in " + data + " (no cluster.json): start one with ./streamseek cluster up --data " + data);
        }
        return new LocalCluster(data, out, ClusterFile.read(data));
    }

    /**
     * Starts every process that is not running and the job, and returns once the job's tasks all
     * run. The first {@code up} in a folder plans the cluster (free ports, a Kafka cluster id); a
     * later one starts the same cluster again, and the job from the savepoint {@link #down} took.
     */
    public static LocalCluster up(Options o, PrintStream out) throws IOException, InterruptedException {
        Path data = Files.createDirectories(o.data()).toAbsolutePath();
        Files.createDirectories(data.resolve("logs"));
        LocalCluster cluster;
        if (Files.isRegularFile(ClusterFile.path(data))) {
            cluster = open(data, out);
            cluster.checkShape(o);
            if (o.sqlClasspath() != null && cluster.processes.stream().noneMatch(p -> p.role() == Role.SQL_GATEWAY)) {
                cluster.addSqlGateway(o);
            }
        } else {
            cluster = new LocalCluster(data, out, plan(data, o));
        }
        cluster.start(o);
        return cluster;
    }

    private static ClusterFile.Content plan(Path data, Options o) throws IOException {
        List<String> ours = List.of("-Xmx512m", "-XX:+UseParallelGC");
        List<ClusterProcess> plan = new ArrayList<>();
        PortPlan ports = PortPlan.belowEphemeralRange();
        int zookeeperPort = ports.next();
        Path zk = Files.createDirectories(data.resolve("zookeeper"));
        Files.writeString(zk.resolve("zoo.cfg"), String.join("\n", "tickTime=2000", "initLimit=10", "syncLimit=5",
                "dataDir=" + zk.resolve("data"), "clientPort=" + zookeeperPort, "clientPortAddress=127.0.0.1", "admin.enableServer=false", ""));
        plan.add(process(data, Role.ZOOKEEPER, 1, Map.of("client", zookeeperPort), List.of("-Xmx128m"), o.flinkClasspath(),
                List.of("org.apache.flink.runtime.zookeeper.FlinkZooKeeperQuorumPeer", "--zkConfigFile", zk.resolve("zoo.cfg").toString(),
                        "--peerId", "1")));

        int[] brokerPorts = new int[o.brokers()];
        int[] controllerPorts = new int[o.brokers()];
        StringJoiner voters = new StringJoiner(",");
        for (int i = 0; i < o.brokers(); i++) {
            brokerPorts[i] = ports.next();
            controllerPorts[i] = ports.next();
            voters.add((i + 1) + "@127.0.0.1:" + controllerPorts[i]);
        }
        String clusterId = Uuid.randomUuid().toString();
        StringJoiner bootstrap = new StringJoiner(",");
        for (int i = 0; i < o.brokers(); i++) {
            bootstrap.add("127.0.0.1:" + brokerPorts[i]);
            plan.add(process(data, Role.KAFKA, i + 1, Map.of("broker", brokerPorts[i], "controller", controllerPorts[i]), ours, o.ownClasspath(),
                    List.of(KafkaNodeMain.class.getName(), "node-id=" + (i + 1), "port=" + brokerPorts[i], "controller-port=" + controllerPorts[i],
                            "voters=" + voters, "cluster-id=" + clusterId, "data=" + data.resolve("kafka-" + (i + 1)),
                            "replicas=" + Math.min(3, o.brokers()))));
        }
        int registryPort = ports.next();
        plan.add(process(data, Role.SCHEMA_REGISTRY, 1, Map.of("http", registryPort), List.of("-Xmx256m"), o.ownClasspath(),
                List.of(RegistryMain.class.getName(), "port=" + registryPort, "bootstrap=" + bootstrap)));

        int restPort = ports.next();
        int rpcPort = ports.next();
        int blobPort = ports.next();
        FlinkProcesses flink = new FlinkProcesses(data, "127.0.0.1:" + zookeeperPort, restPort, rpcPort, blobPort, o.slots(), o.taskManagerMemory());
        flink.writeConfig();
        plan.add(new ClusterProcess(Role.JOBMANAGER, 1, 0, Map.of("rest", restPort, "rpc", rpcPort, "blob", blobPort),
                flink.jobManager(prefix(data, Role.JOBMANAGER, 1), o.flinkClasspath()), log(data, Role.JOBMANAGER, 1)));
        for (int i = 1; i <= o.taskManagers(); i++) {
            int tmRpc = ports.next();
            plan.add(new ClusterProcess(Role.TASKMANAGER, i, 0, Map.of("rpc", tmRpc),
                    flink.taskManager(prefix(data, Role.TASKMANAGER, i), o.flinkClasspath(), i, tmRpc), log(data, Role.TASKMANAGER, i)));
        }
        if (o.sqlClasspath() != null) {
            plan.add(sqlGateway(data, o, ports.next()));
        }
        return new ClusterFile.Content(bootstrap.toString(), "http://127.0.0.1:" + registryPort, "http://127.0.0.1:" + restPort,
                "127.0.0.1:" + zookeeperPort, null, o.model().toAbsolutePath().toString(), ClusterFile.entries(plan));
    }

    private static ClusterProcess sqlGateway(Path data, Options o, int port) {
        return new ClusterProcess(Role.SQL_GATEWAY, 1, 0, Map.of("rest", port),
                FlinkProcesses.sqlGateway(prefix(data, Role.SQL_GATEWAY, 1), o.flinkClasspath() + java.io.File.pathSeparator + o.sqlClasspath(), port),
                log(data, Role.SQL_GATEWAY, 1));
    }

    /** Adds a SQL Gateway to a cluster planned without one, on a port none of its processes has. */
    private void addSqlGateway(Options o) {
        PortPlan ports = PortPlan.belowEphemeralRange();
        processes.forEach(p -> ports.reserve(p.ports().values()));
        processes.add(sqlGateway(data, o, ports.next()));
        save();
    }

    private static ClusterProcess process(Path data, Role role, int index, Map<String, Integer> ports, List<String> jvm, String classpath,
                                          List<String> main) {
        List<String> command = new ArrayList<>(prefix(data, role, index));
        command.addAll(jvm);
        command.add("-cp");
        command.add(classpath);
        command.addAll(main);
        return new ClusterProcess(role, index, 0, ports, command, log(data, role, index));
    }

    /** The java binary and what every process gets: its marker and the cluster's logging configuration. */
    private static List<String> prefix(Path data, Role role, int index) {
        Path log4j = data.resolve("log4j2.properties");
        if (!Files.exists(log4j)) {
            try {
                Files.writeString(log4j, String.join("\n",
                        "# Every process of the local cluster logs to its standard output, which is its file in logs/.",
                        "rootLogger.level = INFO", "rootLogger.appenderRef.out.ref = out",
                        "appender.out.type = Console", "appender.out.name = out", "appender.out.layout.type = PatternLayout",
                        "appender.out.layout.pattern = %d{HH:mm:ss.SSS} %-5p %c{1} - %m%n",
                        "logger.kafka.name = org.apache.kafka", "logger.kafka.level = WARN",
                        "logger.kafkaserver.name = kafka", "logger.kafkaserver.level = WARN",
                        "logger.zookeeper.name = org.apache.flink.shaded.zookeeper3", "logger.zookeeper.level = WARN", ""));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-D" + ClusterProcess.MARKER + "=" + role.id() + ":" + index, "-Dlog4j2.configurationFile=" + log4j.toUri());
    }

    private static String log(Path data, Role role, int index) {
        return data.resolve("logs").resolve(role.id() + "-" + index + ".log").toString();
    }

    private void checkShape(Options o) {
        long brokers = processes.stream().filter(p -> p.role() == Role.KAFKA).count();
        long taskManagers = processes.stream().filter(p -> p.role() == Role.TASKMANAGER).count();
        if (brokers != o.brokers() || taskManagers != o.taskManagers()) {
            throw new IllegalStateException("the cluster in " + data + " has " + brokers + " Kafka nodes and " + taskManagers
                    + " TaskManagers, not " + o.brokers() + " and " + o.taskManagers() + "; use another --data folder for another shape");
        }
    }

    private void start(Options o) throws IOException, InterruptedException {
        for (Role role : List.of(Role.ZOOKEEPER, Role.KAFKA)) {
            startAll(role);
        }
        try (Admin admin = admin()) {
            List<String> created = new TopicProvisioner(admin, (short) Math.min(3, o.brokers()), 60_000).ensureContractTopics();
            if (!created.isEmpty()) {
                out.println("created topics " + created + " (" + Math.min(3, o.brokers()) + " replicas)");
            }
        }
        for (Role role : List.of(Role.SCHEMA_REGISTRY, Role.JOBMANAGER, Role.TASKMANAGER, Role.SQL_GATEWAY)) {
            startAll(role);
        }
        FlinkRest rest = rest();
        int slots = o.taskManagers() * o.slots();
        await("the TaskManagers' " + slots + " slots to register", probe(() -> rest.totalSlots() >= slots), null);
        String job = content.jobId();
        String state = job == null ? null : rest.jobState(job);
        if (state != null && !isTerminal(state)) {
            out.println("job " + job + " is " + state + " (recovered by the JobManager)");
        } else {
            job = submit(o, rest, o.jobParallelism());
        }
        String jobId = job;
        await("every task of job " + jobId + " to run", probe(() -> rest.allTasksRunning(jobId)), null);
        content = withJob(jobId);
        save();
        print();
    }

    private String submit(Options o, FlinkRest rest, int parallelism) throws IOException, InterruptedException {
        Path latest = data.resolve("flink").resolve("latest-savepoint");
        String savepoint = Files.isRegularFile(latest) ? Files.readString(latest).trim() : null;
        Map<String, String> job = new java.util.LinkedHashMap<>();
        job.put(InferenceJobOptions.BOOTSTRAP_SERVERS.key(), content.bootstrapServers());
        job.put(InferenceJobOptions.REGISTRY_URL.key(), content.schemaRegistryUrl());
        job.put(InferenceJobOptions.MODEL_PATH.key(), content.model());
        job.put(InferenceJobOptions.GROUP_ID.key(), JOB_NAME);
        job.put(InferenceJobOptions.TRANSACTIONAL_ID_PREFIX.key(), JOB_NAME);
        // The TaskManagers share this machine's cores: their engines split them rather than each take all.
        int cores = Runtime.getRuntime().availableProcessors();
        job.put(InferenceJobOptions.THREADS.key(), Integer.toString(Math.max(1, cores / o.taskManagers())));
        job.put(InferenceJobOptions.CACHE_BYTES.key(), Long.toString(256L << 20));
        job.putAll(o.jobOptions());
        List<String> args = new ArrayList<>();
        job.forEach((k, v) -> {
            args.add("--" + k);
            args.add(v);
        });
        out.println("submitting " + o.jobJar().getFileName() + " through " + content.webUiUrl() + (savepoint == null ? "" : " from the savepoint " + savepoint));
        String jarId = rest.uploadJar(o.jobJar());
        return rest.runJar(jarId, InferenceJob.class.getName(), args, parallelism, savepoint);
    }

    /**
     * Stops the job with a savepoint and submits the job jar again from it to the running cluster,
     * as a user redeploys a new version: the job runs in a new user-code class loader on the same
     * TaskManager JVMs. Returns once every task of the new job runs.
     */
    public String redeploy(Options o) throws IOException, InterruptedException {
        FlinkRest rest = rest();
        String savepoint = rest.stopWithSavepoint(content.jobId(), data.resolve("flink").resolve("savepoints").toUri().toString(), Duration.ofMinutes(3));
        Files.writeString(data.resolve("flink").resolve("latest-savepoint"), savepoint);
        out.println("job " + content.jobId() + " stopped with the savepoint " + savepoint);
        String job = submit(o, rest, o.jobParallelism());
        await("every task of job " + job + " to run", probe(() -> rest.allTasksRunning(job)), null);
        content = withJob(job);
        save();
        return job;
    }

    /**
     * Stops the job with a savepoint (the next {@link #up} resumes from it: its results are
     * committed, its offsets and idempotency state kept), then every process, TaskManagers first,
     * ZooKeeper last. A process that does not exit within a minute of SIGTERM is killed.
     */
    public void down() throws IOException, InterruptedException {
        FlinkRest rest = rest();
        String job = content.jobId();
        if (job != null && rest.serving()) {
            String state = rest.jobState(job);
            if ("RUNNING".equals(state)) {
                String savepoint = rest.stopWithSavepoint(job, data.resolve("flink").resolve("savepoints").toUri().toString(), Duration.ofMinutes(3));
                Files.writeString(data.resolve("flink").resolve("latest-savepoint"), savepoint);
                out.println("job " + job + " stopped with the savepoint " + savepoint);
            } else {
                out.println("job " + job + " is " + state + ": no savepoint taken; the next up starts from the last checkpoint's committed offsets");
            }
        }
        for (Role role : List.of(Role.SQL_GATEWAY, Role.TASKMANAGER, Role.JOBMANAGER, Role.SCHEMA_REGISTRY, Role.KAFKA, Role.ZOOKEEPER)) {
            stopAll(role);
        }
        content = withJob(null);
        save();
        out.println("cluster in " + data + " stopped; ./streamseek cluster up --data " + data + " starts it again");
    }

    /** Starts the stopped (or killed) process {@code role:index} again, with its identity, ports and data. */
    public void restart(Role role, int index) throws IOException, InterruptedException {
        ClusterProcess p = find(role, index);
        Optional<ProcessHandle> running = p.handle();
        if (running.isPresent()) {
            throw new IllegalStateException(p.name() + " is running (pid " + running.get().pid() + "); kill it first to restart it");
        }
        launch(p);
        awaitReady(find(role, index));
        save();
    }

    /** The process {@code role:index} as last recorded. */
    public ClusterProcess find(Role role, int index) {
        return processes.stream().filter(p -> p.role() == role && p.index() == index).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the cluster in " + data + " has no " + role.id() + ":" + index
                        + "; it has " + processes.stream().map(ClusterProcess::name).toList()));
    }

    public List<ClusterProcess> processes() {
        return List.copyOf(processes);
    }

    public ClusterFile.Content content() {
        return content;
    }

    public String bootstrapServers() {
        return content.bootstrapServers();
    }

    public String registryUrl() {
        return content.schemaRegistryUrl();
    }

    public FlinkRest rest() {
        return new FlinkRest(content.webUiUrl());
    }

    /** The cluster's data folder. */
    public Path data() {
        return data;
    }

    /** The REST endpoint of the cluster's SQL Gateway, if it has one. */
    public Optional<String> sqlGatewayUrl() {
        return processes.stream().filter(p -> p.role() == Role.SQL_GATEWAY).findFirst()
                .map(p -> "http://127.0.0.1:" + p.ports().get("rest"));
    }

    /** The folder of the cluster's Flink {@code config.yaml}, for clients such as the SQL client ({@code FLINK_CONF_DIR}). */
    public Path flinkConfDir() {
        return FlinkProcesses.confDir(data);
    }

    /** Prints where everything is. */
    public void print() {
        out.println("Kafka " + content.bootstrapServers() + ", schema registry " + content.schemaRegistryUrl() + ", Flink Web UI "
                + content.webUiUrl() + ", ZooKeeper " + content.zookeeperQuorum() + sqlGatewayUrl().map(u -> ", SQL Gateway " + u).orElse("")
                + (content.jobId() == null ? "" : ", job " + content.jobId()));
        for (ClusterProcess p : processes) {
            out.printf("  %-18s %-8s %-24s %s%n", p.name(), p.handle().map(h -> "pid " + h.pid()).orElse("stopped"), p.ports(), p.log());
        }
        out.println("  (all of it in " + ClusterFile.path(data) + ")");
    }

    private void startAll(Role role) throws IOException, InterruptedException {
        List<ClusterProcess> started = new ArrayList<>();
        for (ClusterProcess p : List.copyOf(processes)) {
            if (p.role() == role && !p.alive()) {
                launch(p);
                started.add(find(role, p.index()));
            }
        }
        // Kafka nodes form their quorum together: all are started before any is waited for.
        for (ClusterProcess p : started) {
            awaitReady(p);
        }
        save();
    }

    private void launch(ClusterProcess p) throws IOException {
        for (Map.Entry<String, Integer> port : p.ports().entrySet()) {
            if (!PortPlan.bindable(port.getValue())) {
                throw new IllegalStateException("port " + port.getValue() + " (" + p.name() + " " + port.getKey() + ") is taken on 127.0.0.1: "
                        + "is another process of this cluster still running? (./streamseek cluster status --data " + data + ")");
            }
        }
        Files.writeString(Path.of(p.log()), START_LINE + p.name() + " at " + java.time.Instant.now() + "\n",
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(p.command());
        // Where Flink's own entry points without a --configDir argument (the SQL Gateway) read config.yaml.
        builder.environment().put("FLINK_CONF_DIR", FlinkProcesses.confDir(data).toString());
        Process process = builder
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(p.log())))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        replace(p.withPid(process.pid()));
        save(); // recorded at once: a start that fails later still leaves this pid for cluster down
        out.println("started " + p.name() + " (pid " + process.pid() + "), log " + p.log());
    }

    private void awaitReady(ClusterProcess p) throws InterruptedException {
        BooleanSupplier ready = switch (p.role()) {
            case ZOOKEEPER -> () -> accepts(p.ports().get("client"));
            case KAFKA -> () -> logSays(p, "ready: Kafka node");
            case SCHEMA_REGISTRY -> () -> logSays(p, "ready: schema registry");
            case JOBMANAGER -> () -> rest().serving();
            case TASKMANAGER -> probe(() -> rest().taskManagerIds().contains("taskmanager-" + p.index()));
            case SQL_GATEWAY -> probe(() -> FlinkRest.answers("http://127.0.0.1:" + p.ports().get("rest") + "/v1/info"));
        };
        await(p.name() + " to serve", ready, p);
    }

    private void stopAll(Role role) throws InterruptedException {
        List<ProcessHandle> stopping = new ArrayList<>();
        for (ClusterProcess p : List.copyOf(processes)) {
            if (p.role() == role) {
                p.handle().ifPresent(h -> {
                    h.destroy();
                    stopping.add(h);
                });
                replace(p.withPid(0));
            }
        }
        for (ProcessHandle h : stopping) {
            try {
                h.onExit().get(1, TimeUnit.MINUTES);
            } catch (java.util.concurrent.TimeoutException e) {
                out.println(role.id() + " pid " + h.pid() + " did not exit within a minute of SIGTERM; killing it");
                h.destroyForcibly();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
        if (!stopping.isEmpty()) {
            out.println("stopped " + stopping.size() + " " + role.id() + " process" + (stopping.size() == 1 ? "" : "es"));
        }
    }

    /** A question to the JobManager's REST API; a failed call means "not yet" (it may be starting or failing over). */
    private interface Probe {
        boolean ask() throws IOException, InterruptedException;
    }

    private static BooleanSupplier probe(Probe probe) {
        return () -> {
            try {
                return probe.ask();
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        };
    }

    private static boolean isTerminal(String state) {
        return List.of("FINISHED", "CANCELED", "FAILED").contains(state);
    }

    /** Whether the process's output since its latest start holds {@code line}. */
    private boolean logSays(ClusterProcess p, String line) {
        try {
            String log = Files.readString(Path.of(p.log()));
            return log.indexOf(line + " ", Math.max(0, log.lastIndexOf(START_LINE))) >= 0 && find(p.role(), p.index()).alive();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Polls {@code ready} until it holds; fails with the process's log tail when the process dies
     * first or the start timeout passes. Polling, because these are other processes with no
     * callback to us.
     */
    private void await(String what, BooleanSupplier ready, ClusterProcess p) throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        long since = p == null ? 0 : logSize(p);
        while (!ready.getAsBoolean()) {
            if (p != null && !find(p.role(), p.index()).alive()) {
                throw new IllegalStateException(p.name() + " exited while starting; the end of " + p.log() + ":\n" + tail(p, since));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + START_TIMEOUT.toSeconds() + " s waiting for " + what
                        + (p == null ? "" : "; the end of " + p.log() + ":\n" + tail(p, since)));
            }
            Thread.sleep(250);
        }
    }

    private static long logSize(ClusterProcess p) {
        try {
            return Files.size(Path.of(p.log()));
        } catch (IOException e) {
            return 0;
        }
    }

    private static String tail(ClusterProcess p, long since) {
        try {
            List<String> lines = Files.readString(Path.of(p.log())).substring((int) Math.min(since, Files.size(Path.of(p.log())))).lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, content.bootstrapServers()));
    }

    private void replace(ClusterProcess p) {
        for (int i = 0; i < processes.size(); i++) {
            if (processes.get(i).role() == p.role() && processes.get(i).index() == p.index()) {
                processes.set(i, p);
                return;
            }
        }
        throw new IllegalStateException("no " + p.name());
    }

    private ClusterFile.Content withJob(String jobId) {
        return new ClusterFile.Content(content.bootstrapServers(), content.schemaRegistryUrl(), content.webUiUrl(), content.zookeeperQuorum(),
                jobId, content.model(), content.processes());
    }

    private void save() {
        content = new ClusterFile.Content(content.bootstrapServers(), content.schemaRegistryUrl(), content.webUiUrl(), content.zookeeperQuorum(),
                content.jobId(), content.model(), ClusterFile.entries(processes));
        try {
            ClusterFile.write(data, content);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + ClusterFile.path(data), e);
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
