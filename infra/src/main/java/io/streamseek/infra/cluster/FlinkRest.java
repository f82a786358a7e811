package io.streamseek.infra.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * The Flink REST API calls a user makes to run a job on a session cluster — what {@code flink run}
 * and the Web UI do: upload the job jar, run it (from a savepoint or not), watch it, stop it with a
 * savepoint.
 */
public final class FlinkRest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public FlinkRest(String webUiUrl) {
        this.base = webUiUrl.endsWith("/") ? webUiUrl.substring(0, webUiUrl.length() - 1) : webUiUrl;
    }

    /** {@code POST /jars/upload}: returns the jar's id on the cluster. */
    public String uploadJar(Path jar) throws IOException, InterruptedException {
        String boundary = "streamseek-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"" + jar.getFileName()
                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonNode reply = send(HttpRequest.newBuilder(URI.create(base + "/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())), Duration.ofMinutes(2));
        String file = reply.path("filename").asText();
        if (file.isEmpty()) {
            throw new IOException("the JobManager did not accept " + jar + ": " + reply);
        }
        return Path.of(file).getFileName().toString();
    }

    /** {@code POST /jars/:id/run}: runs the jar's {@code entryClass} with {@code args}; returns the job id. */
    public String runJar(String jarId, String entryClass, List<String> args, int parallelism, String savepoint)
            throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode();
        request.put("entryClass", entryClass);
        request.putPOJO("programArgsList", args);
        request.put("parallelism", parallelism);
        if (savepoint != null) {
            request.put("savepointPath", savepoint);
        }
        JsonNode reply = send(HttpRequest.newBuilder(URI.create(base + "/jars/" + jarId + "/run"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(request.toString())), Duration.ofMinutes(5));
        String job = reply.path("jobid").asText();
        if (job.isEmpty()) {
            throw new IOException("the JobManager did not run the job: " + reply);
        }
        return job;
    }

    /** The job's state ({@code RUNNING}, {@code RESTARTING}, ...), or null when the cluster does not know it. */
    public String jobState(String jobId) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 404) {
            return null;
        }
        return parse(response).path("state").asText(null);
    }

    /** Every subtask of the job is running (not just the job: its tasks may still be deploying). */
    public boolean allTasksRunning(String jobId) throws IOException, InterruptedException {
        JsonNode job = get("/jobs/" + jobId);
        if (!"RUNNING".equals(job.path("state").asText())) {
            return false;
        }
        for (JsonNode vertex : job.path("vertices")) {
            JsonNode tasks = vertex.path("tasks");
            if (tasks.path("RUNNING").asInt() + tasks.path("FINISHED").asInt() != vertex.path("parallelism").asInt()) {
                return false;
            }
        }
        return true;
    }

    /** Task slots of the TaskManagers registered with the JobManager. */
    public int totalSlots() throws IOException, InterruptedException {
        return get("/overview").path("slots-total").asInt();
    }

    /** The resource ids of the TaskManagers registered with the JobManager. */
    public java.util.Set<String> taskManagerIds() throws IOException, InterruptedException {
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (JsonNode tm : get("/taskmanagers").path("taskmanagers")) {
            ids.add(tm.path("id").asText());
        }
        return ids;
    }

    /** The job of every id the cluster knows, with its name and state ({@code GET /jobs/overview}). */
    public record JobOverview(String id, String name, String state) {
    }

    public java.util.List<JobOverview> jobs() throws IOException, InterruptedException {
        java.util.List<JobOverview> jobs = new java.util.ArrayList<>();
        for (JsonNode job : get("/jobs/overview").path("jobs")) {
            jobs.add(new JobOverview(job.path("jid").asText(), job.path("name").asText(), job.path("state").asText()));
        }
        return jobs;
    }

    /** Whether {@code url} answers a GET with 200: how another Flink REST endpoint (the SQL Gateway's) is seen to serve. */
    static boolean answers(String url) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    }

    /** The JobManager answers REST requests (its leader is elected and serving). */
    public boolean serving() {
        try {
            get("/overview");
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Completed checkpoints of the job so far. */
    public long completedCheckpoints(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId + "/checkpoints").path("counts").path("completed").asLong();
    }

    /**
     * The latest completed checkpoint: its full state size, the bytes it wrote itself (less with
     * incremental checkpoints) and its end-to-end duration; null before the first one.
     */
    public record CheckpointStats(long id, long stateSize, long checkpointedSize, long durationMs) {
    }

    public CheckpointStats latestCheckpoint(String jobId) throws IOException, InterruptedException {
        JsonNode latest = get("/jobs/" + jobId + "/checkpoints").path("latest").path("completed");
        if (latest.isMissingNode() || latest.isNull()) {
            return null;
        }
        return new CheckpointStats(latest.path("id").asLong(), latest.path("state_size").asLong(), latest.path("checkpointed_size").asLong(),
                latest.path("end_to_end_duration").asLong());
    }

    /** A job-level metric ({@code numRestarts}, ...); -1 while the JobManager has not fetched it yet. */
    public long jobMetric(String jobId, String metric) throws IOException, InterruptedException {
        for (JsonNode m : get("/jobs/" + jobId + "/metrics?get=" + metric)) {
            return (long) Double.parseDouble(m.path("value").asText("-1"));
        }
        return -1;
    }

    /**
     * An operator's metric summed over its subtasks (the operator as named in the job, e.g.
     * {@code transaction-timeout-watch}); -1 while no subtask has reported it. The JobManager
     * fetches metrics from the TaskManagers every {@code metrics.fetcher.update-interval} (10 s).
     */
    public long operatorMetricSum(String jobId, String operator, String metric) throws IOException, InterruptedException {
        String suffix = "." + operator + "." + metric;
        long sum = -1;
        for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
            if (!vertex.path("name").asText().contains(operator)) {
                continue;
            }
            String path = "/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/metrics";
            List<String> ids = new java.util.ArrayList<>();
            for (JsonNode m : get(path)) {
                if (m.path("id").asText().endsWith(suffix)) {
                    ids.add(m.path("id").asText());
                }
            }
            if (ids.isEmpty()) {
                continue;
            }
            for (JsonNode m : get(path + "?get=" + String.join(",", ids))) {
                sum = Math.max(sum, 0) + (long) Double.parseDouble(m.path("value").asText("0"));
            }
        }
        return sum;
    }

    /**
     * {@code POST /jobs/:id/stop}: stops the job with a savepoint in {@code directory} and returns
     * its location once it is complete.
     */
    public String stopWithSavepoint(String jobId, String directory, Duration timeout) throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode();
        request.put("targetDirectory", directory);
        request.put("drain", false);
        JsonNode trigger = send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "/stop"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(request.toString())), Duration.ofSeconds(30));
        String id = trigger.path("request-id").asText();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode status = get("/jobs/" + jobId + "/savepoints/" + id);
            if ("COMPLETED".equals(status.path("status").path("id").asText())) {
                JsonNode operation = status.path("operation");
                if (operation.has("failure-cause")) {
                    throw new IOException("the savepoint of job " + jobId + " failed: " + operation.path("failure-cause").path("stack-trace").asText()
                            .lines().findFirst().orElse("?"));
                }
                return operation.path("location").asText();
            }
            Thread.sleep(200); // polling the REST API: the savepoint has no push notification
        }
        throw new IOException("the savepoint of job " + jobId + " did not complete within " + timeout);
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), Duration.ofSeconds(10));
    }

    private JsonNode send(HttpRequest.Builder request, Duration timeout) throws IOException, InterruptedException {
        return parse(http.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString()));
    }

    private static JsonNode parse(HttpResponse<String> response) throws IOException {
        if (response.statusCode() / 100 != 2) {
            String errors = response.body();
            try {
                errors = JSON.readTree(response.body()).path("errors").toString();
            } catch (IOException ignored) {
                // not JSON: the body as it is
            }
            throw new IOException(response.request().method() + " " + response.uri() + ": HTTP " + response.statusCode() + " " + errors);
        }
        return JSON.readTree(response.body());
    }
}
