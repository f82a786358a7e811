package io.streamseek.schemas.registry;

import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.local.EmbeddedKafkaBroker;
import io.streamseek.schemas.registry.embedded.EmbeddedSchemaRegistry;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Our own client against the embedded registry over real HTTP. */
class RestSchemaRegistryClientITCase {

    private static EmbeddedKafkaBroker broker;
    private static EmbeddedSchemaRegistry open;
    private static EmbeddedSchemaRegistry secured;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.builder().build().start();
        open = EmbeddedSchemaRegistry.builder().bootstrapServers(broker.bootstrapServers()).build().start();
        secured = EmbeddedSchemaRegistry.builder().bootstrapServers(broker.bootstrapServers()).topic("_schemas_secured")
                .basicAuth("alice:s3cret").build().start();
    }

    @AfterAll
    static void stop() {
        secured.close();
        open.close();
        broker.close();
    }

    @Test
    void registersLooksUpAndFetchesSchemas() {
        try (RestSchemaRegistryClient client = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, open.url()))) {
            Schema schema = PromptRequest.getClassSchema();
            int id = client.register("prompts-value", schema);
            assertThat(client.register("prompts-value", schema)).isEqualTo(id);
            assertThat(client.idOf("prompts-value", schema)).isEqualTo(id);
            RegisteredSchema latest = client.latest("prompts-value");
            assertThat(latest.version()).isEqualTo(1);
            assertThat(latest.id()).isEqualTo(id);
            assertThat(latest.schema()).isEqualTo(schema);
            try (RestSchemaRegistryClient other = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, open.url()))) {
                assertThat(other.schemaById(id)).isEqualTo(schema);
            }
            client.setCompatibility("prompts-value", CompatibilityLevel.BACKWARD_TRANSITIVE);
            Schema incompatible = SchemaBuilder.record("PromptRequest").namespace("io.streamseek.schemas").fields()
                    .requiredString("only_field").endRecord();
            assertThatThrownBy(() -> client.register("prompts-value", incompatible))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                        assertThat(e.status()).isEqualTo(409);
                        assertThat(e.isRetriable()).isFalse();
                    });
        }
    }

    @Test
    void unknownIdAndSubjectAreNotFound() {
        try (RestSchemaRegistryClient client = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, open.url()))) {
            assertThatThrownBy(() -> client.schemaById(424242))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                        assertThat(e.isNotFound()).isTrue();
                        assertThat(e.errorCode()).isEqualTo(40403);
                    })
                    .hasMessageContaining("HTTP 404: Schema 424242 not found");
            assertThatThrownBy(() -> client.idOf("nobody-value", PromptRequest.getClassSchema()))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
        }
    }

    @Test
    void answersComeFromTheCacheOnceFetched() {
        EmbeddedSchemaRegistry shortLived = EmbeddedSchemaRegistry.builder().bootstrapServers(broker.bootstrapServers())
                .topic("_schemas_cache").build().start();
        try (RestSchemaRegistryClient client = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, shortLived.url(),
                RegistryClientConfig.REQUEST_TIMEOUT_MS, 2000))) {
            Schema schema = PromptRequest.getClassSchema();
            int id = client.register("cached-value", schema);
            try (RestSchemaRegistryClient reader = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, shortLived.url()))) {
                Schema fetched = reader.schemaById(id);
                shortLived.close();
                assertThat(reader.schemaById(id)).isSameAs(fetched);
            }
            assertThat(client.register("cached-value", schema)).isEqualTo(id);
            assertThat(client.idOf("cached-value", schema)).isEqualTo(id);
        } finally {
            shortLived.close();
        }
    }

    @Test
    void basicAuthFromUserInfoOrUrl() {
        try (RestSchemaRegistryClient client = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, secured.url(),
                RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO", RegistryClientConfig.BASIC_AUTH_USER_INFO, "alice:s3cret"))) {
            assertThat(client.register("auth-value", PromptRequest.getClassSchema())).isPositive();
        }
        String withCredentials = secured.url().replace("http://", "http://alice:s3cret@");
        try (RestSchemaRegistryClient client = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, withCredentials))) {
            assertThat(client.latest("auth-value").version()).isEqualTo(1);
        }
        try (RestSchemaRegistryClient client = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, secured.url(),
                RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO", RegistryClientConfig.BASIC_AUTH_USER_INFO, "alice:wrong"))) {
            assertThatThrownBy(() -> client.latest("auth-value"))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.status()).isEqualTo(401))
                    .hasMessageNotContaining("wrong");
        }
    }

    @Test
    void failsOverToTheNextUrlAndNamesEveryUrlWhenNoneAnswers() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort();
        }
        String dead = "http://127.0.0.1:" + deadPort;
        try (RestSchemaRegistryClient client = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, dead + "," + open.url()))) {
            assertThat(client.register("failover-value", PromptRequest.getClassSchema())).isPositive();
        }
        try (RestSchemaRegistryClient client = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, dead,
                RegistryClientConfig.REQUEST_TIMEOUT_MS, 2000))) {
            assertThatThrownBy(() -> client.schemaById(1))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                        assertThat(e.status()).isZero();
                        assertThat(e.isRetriable()).isTrue();
                    })
                    .hasMessageStartingWith("Cannot reach the schema registry (GET /schemas/ids/1): " + dead + ": ");
        }
    }

    @Test
    void missingUrlIsAConfigError() {
        assertThatThrownBy(() -> RestSchemaRegistryClient.create(Map.of()))
                .hasMessageContaining("Missing required configuration \"schema.registry.url\"");
    }
}
