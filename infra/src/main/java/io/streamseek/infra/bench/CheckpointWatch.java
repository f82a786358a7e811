package io.streamseek.infra.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The job's checkpoints as Flink's REST API reports them ({@code GET /jobs/:id/checkpoints}),
 * polled while the benchmark runs: the API keeps only the latest few in its history, and a
 * checkpoint's duration and size are what the interval costs.
 */
final class CheckpointWatch implements AutoCloseable {

    /**
     * One checkpoint.
     *
     * @param durationMs       trigger to the last acknowledgement
     * @param checkpointedBytes what this checkpoint wrote (incremental state plus in-flight data)
     * @param persistedBytes   in-flight data an unaligned checkpoint wrote
     */
    record Taken(long id, String status, long triggeredAtMs, long durationMs, long checkpointedBytes, long persistedBytes) {
    }

    /** The checkpoints triggered within a window. */
    record Stats(int completed, int failed, double durationP50Ms, long durationMaxMs, double bytesP50, long bytesMax) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration POLL = Duration.ofSeconds(1);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI uri;
    private final Map<Long, Taken> seen = new ConcurrentSkipListMap<>();
    private final Thread poller;
    private volatile boolean closed;
    private volatile String lastError;

    CheckpointWatch(String restUrl, String jobId) {
        this.uri = URI.create(restUrl + "/jobs/" + jobId + "/checkpoints");
        this.poller = new Thread(this::poll, "checkpoint-watch");
        poller.setDaemon(true);
        poller.start();
    }

    private void poll() {
        while (!closed) {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    for (JsonNode c : JSON.readTree(response.body()).path("history")) {
                        String status = c.path("status").asText();
                        if (!status.equals("IN_PROGRESS")) {
                            seen.put(c.path("id").asLong(), new Taken(c.path("id").asLong(), status, c.path("trigger_timestamp").asLong(),
                                    c.path("end_to_end_duration").asLong(), c.path("checkpointed_size").asLong(), c.path("persisted_data").asLong()));
                        }
                    }
                } else {
                    lastError = uri + " answered " + response.statusCode();
                }
                Thread.sleep(POLL.toMillis()); // a polling period, not a synchronisation: the history holds the last ten, 5 s at 500 ms
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                lastError = uri + ": " + e;
            }
        }
    }

    /** The checkpoints triggered between the two epoch milliseconds. */
    Stats between(double fromMs, double toMs) {
        List<Taken> in = seen.values().stream().filter(t -> t.triggeredAtMs() >= fromMs && t.triggeredAtMs() <= toMs).toList();
        List<Taken> completed = in.stream().filter(t -> t.status().equals("COMPLETED")).toList();
        if (completed.isEmpty() && lastError != null) {
            throw new IllegalStateException("no checkpoint statistics from Flink's REST API: " + lastError);
        }
        long[] durations = completed.stream().mapToLong(Taken::durationMs).sorted().toArray();
        long[] bytes = completed.stream().mapToLong(Taken::checkpointedBytes).sorted().toArray();
        return new Stats(completed.size(), in.size() - completed.size(), median(durations), durations.length == 0 ? 0 : durations[durations.length - 1],
                median(bytes), bytes.length == 0 ? 0 : bytes[bytes.length - 1]);
    }

    private static double median(long[] sorted) {
        if (sorted.length == 0) {
            return 0;
        }
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        poller.interrupt();
        poller.join();
    }
}
