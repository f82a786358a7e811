package io.streamseek.infra.cluster;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code DATA/cluster.json}: where everything of a local cluster is, for scripts and people: the
 * clients' addresses and every process with its role, pid and ports. Written whenever a process
 * starts or stops (to a temporary file, then moved over the old one, so a reader never sees half).
 */
public final class ClusterFile {

    /** The file's content. Field names are the JSON's. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Content(
            @JsonProperty("bootstrap_servers") String bootstrapServers,
            @JsonProperty("schema_registry_url") String schemaRegistryUrl,
            @JsonProperty("web_ui_url") String webUiUrl,
            @JsonProperty("zookeeper_quorum") String zookeeperQuorum,
            @JsonProperty("job_id") String jobId,
            @JsonProperty("model") String model,
            @JsonProperty("processes") List<Entry> processes) {
    }

    /** One process. */
    public record Entry(
            @JsonProperty("role") String role,
            @JsonProperty("index") int index,
            @JsonProperty("pid") long pid,
            @JsonProperty("ports") Map<String, Integer> ports,
            @JsonProperty("log") String log,
            @JsonProperty("command") List<String> command) {

        static Entry of(ClusterProcess p) {
            return new Entry(p.role().id(), p.index(), p.pid(), p.ports(), p.log(), p.command());
        }

        ClusterProcess process() {
            return new ClusterProcess(Role.of(role), index, pid, ports, command, log);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ClusterFile() {
    }

    public static Path path(Path data) {
        return data.resolve("cluster.json");
    }

    public static Content read(Path data) throws IOException {
        Path file = path(data);
        try {
            return JSON.readValue(file.toFile(), Content.class);
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static void write(Path data, Content content) throws IOException {
        Path file = path(data);
        Path partial = file.resolveSibling("cluster.json.partial");
        JSON.writeValue(partial.toFile(), content);
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static List<Entry> entries(List<ClusterProcess> processes) {
        List<Entry> entries = new ArrayList<>();
        for (ClusterProcess p : processes) {
            entries.add(Entry.of(p));
        }
        return entries;
    }
}
