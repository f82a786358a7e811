package io.streamseek.infra.cli;

import io.streamseek.infra.demo.DemoModels;
import io.streamseek.infra.local.LocalJob;
import io.streamseek.infra.local.LocalStack;

import org.apache.flink.core.execution.JobClient;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./streamseek up}: the local stack and the inference job, until Ctrl-C. Ctrl-C stops the
 * job with a savepoint in the data folder (its results committed, its offsets and idempotency
 * state kept), and the next {@code up} on the same folder resumes from it: nothing is served twice
 * and nothing is lost.
 */
final class UpCommand {

    /** The consumer group and transactional-id prefix of the job {@code up} runs. */
    static final String JOB_NAME = "streamseek-up";

    static final String USAGE = String.join("\n",
            "usage: ./streamseek up [--model DIR|FILE.gguf] [--data DIR] [--kafka-port 9092] [--registry-port 8081] [--web-port 8082] [--metrics-port 9249]",
            "  Runs Kafka, the schema registry and the inference job until Ctrl-C; produce and consume with",
            "  ./streamseek produce / consume, or any Confluent-compatible client.");

    private UpCommand() {
    }

    static int run(String[] args, PrintStream out) throws Exception {
        Flags f = new Flags("up", args, Set.of("--model", "--data", "--kafka-port", "--registry-port", "--web-port", "--metrics-port"),
                Set.of(), USAGE);
        Path data = Files.createDirectories(Path.of(f.get("--data", "streamseek-data")));
        Path model = f.has("--model") ? Path.of(f.get("--model", "")) : DemoModels.small(data, out);
        // Closed by the shutdown hook alone: after Ctrl-C the JVM only runs hooks.
        LocalStack stack = LocalStack.start(data, f.integer("--kafka-port", 9092), f.integer("--registry-port", 8081));
        {
            int web = f.integer("--web-port", 8082);
            int metrics = f.integer("--metrics-port", 9249);
            Path savepoints = Files.createDirectories(data.resolve("savepoints"));
            Path latest = savepoints.resolve("latest");
            String resume = Files.isRegularFile(latest) ? Files.readString(latest).trim() : null;
            if (resume != null) {
                out.println("resuming from the savepoint " + resume);
            }
            JobClient job = LocalJob.submit(stack, model, web, metrics, JOB_NAME, resume);
            out.printf("Kafka %s, schema registry %s, Flink Web UI http://127.0.0.1:%d, metrics http://127.0.0.1:%d/metrics, job %s%n",
                    stack.bootstrapServers(), stack.registryUrl(), web, metrics, job.getJobID());
            out.println("Ctrl-C stops the job with a savepoint and then the stack; the next up resumes from it.");
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(),
                            org.apache.flink.core.execution.SavepointFormatType.CANONICAL).get();
                    Files.writeString(latest, savepoint);
                    System.out.println("up: stopped with the savepoint " + savepoint);
                } catch (Exception e) {
                    System.err.println("up: could not take a savepoint (" + e + "); cancelling: the next up starts from the committed offsets");
                    job.cancel();
                } finally {
                    stack.close();
                    stop.countDown();
                }
            }));
            stop.await();
        }
        return 0;
    }
}
