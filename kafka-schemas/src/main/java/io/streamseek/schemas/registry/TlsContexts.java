package io.streamseek.schemas.registry;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

/** Builds the {@link SSLContext} of {@link RestSchemaRegistryClient} from the {@code schema.registry.ssl.*} keys. */
final class TlsContexts {

    private TlsContexts() {
    }

    static SSLContext from(RegistryClientConfig config) {
        String truststore = config.getString(RegistryClientConfig.SSL_TRUSTSTORE_LOCATION);
        String keystore = config.getString(RegistryClientConfig.SSL_KEYSTORE_LOCATION);
        try {
            if (truststore.isEmpty() && keystore.isEmpty()) {
                return SSLContext.getDefault();
            }
            TrustManagerFactory trust = null;
            if (!truststore.isEmpty()) {
                trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(load(truststore, config.getString(RegistryClientConfig.SSL_TRUSTSTORE_TYPE),
                        config.password(RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD).value(), RegistryClientConfig.SSL_TRUSTSTORE_LOCATION));
            }
            KeyManagerFactory keys = null;
            if (!keystore.isEmpty()) {
                String storePassword = config.password(RegistryClientConfig.SSL_KEYSTORE_PASSWORD).value();
                String keyPassword = config.password(RegistryClientConfig.SSL_KEY_PASSWORD).value();
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(load(keystore, config.getString(RegistryClientConfig.SSL_KEYSTORE_TYPE), storePassword, RegistryClientConfig.SSL_KEYSTORE_LOCATION),
                        (keyPassword.isEmpty() ? storePassword : keyPassword).toCharArray());
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("Cannot set up TLS for the schema registry client: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(String location, String type, String password, String key) throws GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(Path.of(location))) {
            store.load(in, password.toCharArray());
            return store;
        } catch (IOException e) {
            throw new IllegalArgumentException(key + ": cannot read the " + type + " store " + location + ": " + e.getMessage(), e);
        }
    }
}
