package io.streamseek.schemas.registry;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

import java.util.List;
import java.util.Map;

/**
 * Settings of {@link RestSchemaRegistryClient}, under Confluent's own key names so that an existing
 * Confluent client configuration works unchanged. Every key is declared once here: name, type,
 * default, validator, documentation.
 */
public final class RegistryClientConfig extends AbstractConfig {

    public static final String URL = "schema.registry.url";
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String BEARER_AUTH_CREDENTIALS_SOURCE = "bearer.auth.credentials.source";
    public static final String BEARER_AUTH_TOKEN = "bearer.auth.token";
    public static final String SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    public static final String SSL_KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
    public static final String SSL_KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
    public static final String SSL_KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
    public static final String SSL_KEY_PASSWORD = "schema.registry.ssl.key.password";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(URL, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, ConfigDef.ValidList.anyNonDuplicateValues(false, false), Importance.HIGH,
                    "Comma-separated URLs of the schema registry, e.g. https://registry:8081. When one cannot be "
                            + "reached the next is tried. Credentials may be embedded (https://user:password@host) with "
                            + BASIC_AUTH_CREDENTIALS_SOURCE + "=URL.")
            .define(BASIC_AUTH_CREDENTIALS_SOURCE, Type.STRING, "URL", ConfigDef.ValidString.in("URL", "USER_INFO"),
                    Importance.MEDIUM, "Where HTTP basic-auth credentials come from: USER_INFO (" + BASIC_AUTH_USER_INFO
                            + ") or URL (the user info of " + URL + "). No credentials, no basic auth.")
            .define(BASIC_AUTH_USER_INFO, Type.PASSWORD, "", Importance.MEDIUM,
                    "Basic-auth credentials as user:password (e.g. a Confluent Cloud API key and secret), used with "
                            + BASIC_AUTH_CREDENTIALS_SOURCE + "=USER_INFO. Never logged.")
            .define(BEARER_AUTH_CREDENTIALS_SOURCE, Type.STRING, "STATIC_TOKEN", ConfigDef.ValidString.in("STATIC_TOKEN"),
                    Importance.LOW, "Where the bearer token comes from: STATIC_TOKEN (" + BEARER_AUTH_TOKEN + ").")
            .define(BEARER_AUTH_TOKEN, Type.PASSWORD, "", Importance.MEDIUM,
                    "A bearer token sent as 'Authorization: Bearer <token>'; takes precedence over basic auth. Never logged.")
            .define(SSL_TRUSTSTORE_LOCATION, Type.STRING, "", Importance.MEDIUM,
                    "Trust store of the registry's certificate authority for https URLs; empty: the JVM's default trust.")
            .define(SSL_TRUSTSTORE_PASSWORD, Type.PASSWORD, "", Importance.MEDIUM, "Password of the trust store.")
            .define(SSL_TRUSTSTORE_TYPE, Type.STRING, "JKS", ConfigDef.ValidString.in("JKS", "PKCS12"), Importance.LOW,
                    "Format of the trust store.")
            .define(SSL_KEYSTORE_LOCATION, Type.STRING, "", Importance.MEDIUM,
                    "Key store with this client's certificate, for registries that require mutual TLS; empty: none.")
            .define(SSL_KEYSTORE_PASSWORD, Type.PASSWORD, "", Importance.MEDIUM, "Password of the key store.")
            .define(SSL_KEYSTORE_TYPE, Type.STRING, "JKS", ConfigDef.ValidString.in("JKS", "PKCS12"), Importance.LOW,
                    "Format of the key store.")
            .define(SSL_KEY_PASSWORD, Type.PASSWORD, "", Importance.LOW,
                    "Password of the private key in the key store; empty: the key store's password.")
            .define(REQUEST_TIMEOUT_MS, Type.INT, 30_000, ConfigDef.Range.between(1, Integer.MAX_VALUE), Importance.LOW,
                    "How long one request to one registry URL may take, connecting included, before the next URL is tried.");

    public RegistryClientConfig(Map<String, ?> originals) {
        super(DEFINITION, originals, false);
    }

    public List<String> urls() {
        return getList(URL);
    }

    Password password(String key) {
        return getPassword(key);
    }
}
