package io.streamseek.schemas.registry;

import io.streamseek.schemas.local.EmbeddedKafkaBroker;
import io.streamseek.schemas.registry.embedded.EmbeddedSchemaRegistry;

import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.avro.AvroSchema;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.CachedSchemaRegistryClient;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.SchemaMetadata;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.rest.RestService;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.rest.entities.Config;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The embedded registry driven by Confluent's own client (relocated in flink-sql-avro-confluent-registry). */
class EmbeddedSchemaRegistryITCase {

    private static final String V1 = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"test\",\"fields\":["
            + "{\"name\":\"id\",\"type\":\"string\"}]}";
    private static final String V2_COMPATIBLE = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"test\",\"fields\":["
            + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"qty\",\"type\":\"int\",\"default\":1}]}";
    private static final String V2_INCOMPATIBLE = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"test\",\"fields\":["
            + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"price\",\"type\":\"double\"}]}";

    private static EmbeddedKafkaBroker broker;
    private static EmbeddedSchemaRegistry registry;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.builder().build().start();
        registry = EmbeddedSchemaRegistry.builder().bootstrapServers(broker.bootstrapServers()).build().start();
    }

    @AfterAll
    static void stop() {
        registry.close();
        broker.close();
    }

    private static CachedSchemaRegistryClient confluent() {
        return new CachedSchemaRegistryClient(registry.url(), 100);
    }

    @Test
    void sameSchemaSameIdCompatibleChangeNewVersionIncompatibleRejected() throws Exception {
        CachedSchemaRegistryClient client = confluent();
        int id1 = client.register("orders-value", new AvroSchema(V1));
        assertThat(new CachedSchemaRegistryClient(registry.url(), 100).register("orders-value", new AvroSchema(V1))).isEqualTo(id1);
        assertThat(client.getAllVersions("orders-value")).containsExactly(1);

        int id2 = client.register("orders-value", new AvroSchema(V2_COMPATIBLE));
        assertThat(id2).isGreaterThan(id1);
        SchemaMetadata latest = client.getLatestSchemaMetadata("orders-value");
        assertThat(latest.getVersion()).isEqualTo(2);
        assertThat(latest.getId()).isEqualTo(id2);
        assertThat(client.getAllVersions("orders-value")).containsExactly(1, 2);

        assertThat(client.testCompatibility("orders-value", new AvroSchema(V2_INCOMPATIBLE))).isFalse();
        assertThatThrownBy(() -> client.register("orders-value", new AvroSchema(V2_INCOMPATIBLE)))
                .isInstanceOfSatisfying(RestClientException.class, e -> {
                    assertThat(e.getStatus()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("READER_FIELD_MISSING_DEFAULT_VALUE").contains("price");
                });

        // The same schema under another subject keeps its global id.
        assertThat(client.register("invoices-value", new AvroSchema(V1))).isEqualTo(id1);
        assertThat(client.getAllSubjects()).contains("orders-value", "invoices-value");
        assertThat(client.getId("orders-value", new AvroSchema(V2_COMPATIBLE))).isEqualTo(id2);
        assertThat(client.getSchemaById(id1).canonicalString()).isEqualTo(new AvroSchema(V1).canonicalString());
    }

    @Test
    void unknownIdsAndSubjectsAnswerWithConfluentsCodes() {
        CachedSchemaRegistryClient client = confluent();
        assertThatThrownBy(() -> client.getSchemaById(987654))
                .isInstanceOfSatisfying(RestClientException.class, e -> {
                    assertThat(e.getStatus()).isEqualTo(404);
                    assertThat(e.getErrorCode()).isEqualTo(40403);
                });
        assertThatThrownBy(() -> client.getLatestSchemaMetadata("no-such-subject"))
                .isInstanceOfSatisfying(RestClientException.class, e -> assertThat(e.getErrorCode()).isEqualTo(40401));
        assertThatThrownBy(() -> client.getAllVersions("no-such-subject"))
                .isInstanceOfSatisfying(RestClientException.class, e -> assertThat(e.getErrorCode()).isEqualTo(40401));
    }

    @Test
    void compatibilityConfigGlobalAndPerSubject() throws Exception {
        CachedSchemaRegistryClient client = confluent();
        assertThat(client.getConfig(null).getCompatibilityLevel()).isEqualTo("BACKWARD");
        assertThatThrownBy(() -> client.getConfig("config-subject-value"))
                .isInstanceOfSatisfying(RestClientException.class, e -> assertThat(e.getErrorCode()).isEqualTo(40408));

        client.register("config-subject-value", new AvroSchema(V1));
        client.updateConfig("config-subject-value", new Config("NONE"));
        assertThat(client.getConfig("config-subject-value").getCompatibilityLevel()).isEqualTo("NONE");
        // NONE lets the otherwise incompatible change through.
        assertThat(client.register("config-subject-value", new AvroSchema(V2_INCOMPATIBLE))).isPositive();

        client.updateConfig("config-subject-value", new Config("FULL_TRANSITIVE"));
        assertThat(client.testCompatibility("config-subject-value", new AvroSchema(V2_COMPATIBLE))).isFalse();
        client.deleteConfig("config-subject-value");
        assertThatThrownBy(() -> client.getConfig("config-subject-value"))
                .isInstanceOfSatisfying(RestClientException.class, e -> assertThat(e.getErrorCode()).isEqualTo(40408));
        assertThatThrownBy(() -> client.updateConfig("config-subject-value", new Config("SIDEWAYS")))
                .isInstanceOfSatisfying(RestClientException.class, e -> assertThat(e.getErrorCode()).isEqualTo(42203));
    }

    @Test
    void restartKeepsEveryIdAndContinuesTheSequence() throws Exception {
        CachedSchemaRegistryClient client = confluent();
        int id = client.register("restart-value", new AvroSchema(V1));
        int id2 = client.register("restart-value", new AvroSchema(V2_COMPATIBLE));
        client.updateConfig("restart-value", new Config("FULL"));
        String oldUrl = registry.url();
        registry.close();

        registry = EmbeddedSchemaRegistry.builder().bootstrapServers(broker.bootstrapServers()).build().start();
        CachedSchemaRegistryClient fresh = confluent();
        assertThat(registry.url()).isNotEqualTo(oldUrl);
        assertThat(fresh.getSchemaById(id).canonicalString()).isEqualTo(new AvroSchema(V1).canonicalString());
        assertThat(fresh.getAllVersions("restart-value")).containsExactly(1, 2);
        assertThat(fresh.getLatestSchemaMetadata("restart-value").getId()).isEqualTo(id2);
        assertThat(fresh.getConfig("restart-value").getCompatibilityLevel()).isEqualTo("FULL");
        assertThat(fresh.register("restart-value", new AvroSchema(V1))).isEqualTo(id);

        String v3 = V2_COMPATIBLE.replace("]}", ",{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}]}");
        int id3 = fresh.register("restart-value", new AvroSchema(v3));
        assertThat(id3).isGreaterThan(id2);
    }

    @Test
    void invalidSchemaIsRejectedWith42201() {
        assertThatThrownBy(() -> new RestService(registry.url()).registerSchema("{\"type\":\"record\",\"name\":\"X\"}", "broken-value"))
                .isInstanceOfSatisfying(RestClientException.class, e -> {
                    assertThat(e.getStatus()).isEqualTo(422);
                    assertThat(e.getErrorCode()).isEqualTo(42201);
                });
    }

    @Test
    void takenPortIsNamedInTheError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            EmbeddedSchemaRegistry second = EmbeddedSchemaRegistry.builder().bootstrapServers(broker.bootstrapServers())
                    .port(taken.getLocalPort()).build();
            assertThatThrownBy(second::start).hasMessage("Port " + taken.getLocalPort()
                    + " for the schema registry is already taken on 127.0.0.1; stop what is using it or choose another port");
        }
    }
}
