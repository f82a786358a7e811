package io.streamseek.infra.deploy;

import io.streamseek.flink.job.InferenceJob;
import io.streamseek.flink.job.InferenceJobOptions;
import io.streamseek.schemas.topics.Topic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deployment files, kept honest without a container engine: every YAML and JSON file parses,
 * and the topics, ports, image tags and job options in them agree with the code's own definitions.
 */
class DeploymentFilesTest {

    private static final Path DOCKER = Path.of("docker");
    private static final Path K8S = Path.of("k8s");

    @Test
    void everyFileParses() throws Exception {
        try (Stream<Path> files = Stream.concat(Files.walk(DOCKER), Files.walk(K8S))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".yml") || name.endsWith(".yaml")) {
                    assertThat(yamlDocuments(file)).as(file.toString()).isNotEmpty();
                } else if (name.endsWith(".json")) {
                    assertThat(new ObjectMapper().readTree(file.toFile())).as(file.toString()).isNotNull();
                }
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeAgreesWithTheCode() throws Exception {
        Map<String, Object> compose = (Map<String, Object>) yamlDocuments(DOCKER.resolve("docker-compose.yml")).get(0);
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        assertThat(services).containsKeys("kafka", "topics", "schema-registry", "jobmanager", "taskmanager", "prometheus", "grafana");
        assertThat(services.get("kafka").get("image")).isEqualTo("apache/kafka:" + AppInfoParser.getVersion());
        assertThat(services.get("kafka").get("ports")).isEqualTo(List.of("9092:9092"));
        assertThat(services.get("schema-registry").get("ports")).isEqualTo(List.of("8081:8081"));
        String flinkImage = "flink:" + EnvironmentInformation.getVersion() + "-java17";
        assertThat(services.get("jobmanager").get("image")).isEqualTo(flinkImage);
        assertThat(services.get("taskmanager").get("image")).isEqualTo(flinkImage);
        assertThat(services.get("jobmanager").get("ports")).isEqualTo(List.of("8082:8081"));
        String properties = (String) ((Map<String, Object>) services.get("jobmanager").get("environment")).get("FLINK_PROPERTIES");
        assertThat(properties).contains("metrics.reporter.prom.port: 9249", "env.java.opts.all: --add-modules jdk.incubator.vector");
        List<String> command = (List<String>) services.get("jobmanager").get("command");
        assertThat(command.subList(0, 3)).containsExactly("standalone-job", "--job-classname", InferenceJob.class.getName());
        assertJobArguments(command.subList(3, command.size()));
        assertThat(services.get("taskmanager").toString()).contains("driver=nvidia", "capabilities=[gpu]");
        String topics = ((List<String>) services.get("topics").get("command")).get(0);
        for (Topic topic : Topic.values()) {
            assertThat(topics).as(topic.topicName()).contains(topic.topicName() + ":" + topic.defaultPartitions() + ":"
                    + topic.configs().get(TopicConfig.RETENTION_MS_CONFIG));
        }
        Map<String, Object> prometheus = (Map<String, Object>) yamlDocuments(DOCKER.resolve("prometheus/prometheus.yml")).get(0);
        assertThat(prometheus.toString()).contains("jobmanager:9249", "taskmanager:9249");
        assertThat(Files.readString(DOCKER.resolve("Dockerfile.job"))).contains("FROM " + flinkImage);
    }

    @Test
    @SuppressWarnings("unchecked")
    void kubernetesManifestsAgreeWithTheCode() throws Exception {
        Map<String, Map<String, Object>> topics = new java.util.HashMap<>();
        for (Object document : yamlDocuments(K8S.resolve("kafka.yaml"))) {
            Map<String, Object> resource = (Map<String, Object>) document;
            Map<String, Object> metadata = (Map<String, Object>) resource.get("metadata");
            Map<String, Object> spec = (Map<String, Object>) resource.get("spec");
            if ("KafkaTopic".equals(resource.get("kind"))) {
                topics.put((String) metadata.get("name"), spec);
            } else if ("Kafka".equals(resource.get("kind"))) {
                assertThat(((Map<String, Object>) spec.get("kafka")).get("version")).isEqualTo(AppInfoParser.getVersion());
            }
        }
        assertThat(topics.keySet()).containsExactlyInAnyOrderElementsOf(Stream.of(Topic.values()).map(Topic::topicName).toList());
        for (Topic topic : Topic.values()) {
            Map<String, Object> spec = topics.get(topic.topicName());
            assertThat(spec.get("partitions")).as(topic.topicName()).isEqualTo(topic.defaultPartitions());
            Map<String, Object> config = (Map<String, Object>) spec.get("config");
            for (Map.Entry<String, String> e : topic.configs().entrySet()) {
                assertThat(String.valueOf(config.get(e.getKey()))).as(topic.topicName() + " " + e.getKey()).isEqualTo(e.getValue());
            }
        }
        Map<String, Object> deployment = (Map<String, Object>) yamlDocuments(K8S.resolve("flink-deployment.yaml")).get(0);
        Map<String, Object> spec = (Map<String, Object>) deployment.get("spec");
        Map<String, Object> job = (Map<String, Object>) spec.get("job");
        assertThat(job.get("entryClass")).isEqualTo(InferenceJob.class.getName());
        assertJobArguments((List<String>) job.get("args"));
        assertThat(spec.get("flinkVersion")).isEqualTo("v" + EnvironmentInformation.getVersion().replaceAll("^(\\d+)\\.(\\d+).*", "$1_$2"));
        assertThat(spec.toString()).contains("nvidia.com/gpu=1", "metrics.reporter.prom.port=9249", "--add-modules jdk.incubator.vector");
        assertThat(yamlDocuments(K8S.resolve("monitoring.yaml")).get(0).toString()).contains("targetPort=9249");
        assertThat(yamlDocuments(K8S.resolve("schema-registry.yaml")).get(0).toString()).contains("containerPort=8081");
    }

    @Test
    void theDashboardPlotsMetricsTheJobReports() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DOCKER.resolve("grafana/provisioning/dashboards/streamseek.json").toFile());
        Set<String> expressions = new HashSet<>();
        dashboard.get("panels").forEach(p -> p.get("targets").forEach(t -> expressions.add(t.get("expr").asText())));
        String all = String.join("\n", expressions);
        String source = Files.readString(Path.of("..", "flink-jobs", "src", "main", "java", "io", "streamseek", "flink", "inference",
                "InferenceFunction.java"));
        for (String metric : List.of("generatedTokensPerSecond", "timeToFirstTokenMs", "timePerOutputTokenMs", "costMicros",
                "latentCacheBlocksInUse", "engineRequestsInFlight", "expertImbalance", "rejections")) {
            assertThat(all).as("dashboard plots " + metric).contains(metric);
            assertThat(source).as("the job reports " + metric).contains("\"" + metric + "\"");
        }
    }

    /** {@code --key value} pairs whose keys are options the job defines. */
    private static void assertJobArguments(List<String> args) throws Exception {
        Set<String> keys = new HashSet<>();
        for (Field field : InferenceJobOptions.class.getFields()) {
            if (field.getType() == ConfigOption.class) {
                keys.add(((ConfigOption<?>) field.get(null)).key());
            }
        }
        assertThat(args.size() % 2).as("key value pairs: " + args).isZero();
        for (int i = 0; i < args.size(); i += 2) {
            assertThat(args.get(i)).startsWith("--");
            assertThat(keys).as("option " + args.get(i)).contains(args.get(i).substring(2));
        }
        assertThat(args).contains("--" + InferenceJobOptions.MODEL_PATH.key());
    }

    private static List<Object> yamlDocuments(Path file) throws Exception {
        List<Object> documents = new ArrayList<>();
        new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(file)).forEach(documents::add);
        return documents;
    }
}
