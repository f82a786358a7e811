package io.streamseek.infra.cluster;

import io.streamseek.infra.local.LocalStack;
import io.streamseek.schemas.registry.embedded.EmbeddedSchemaRegistry;

import java.util.concurrent.CountDownLatch;

/**
 * The local cluster's schema registry in its own process until SIGTERM: its state is the
 * {@code _schemas} topic on the cluster's Kafka (replicated like every topic there), replayed at
 * start, so a restarted registry serves the same ids. Registers the contract's schemas at start.
 * Arguments {@code port= bootstrap=}; prints {@code ready} once it serves.
 */
public final class RegistryMain {

    private RegistryMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        NodeArguments a = new NodeArguments("schema registry", args);
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().bootstrapServers(a.get("bootstrap")).port(a.integer("port")).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            registry.close();
            stopped.countDown();
        }, "schema-registry-shutdown"));
        registry.start();
        LocalStack.registerContract(registry.url());
        System.out.println("ready: schema registry serving at " + registry.url());
        stopped.await();
    }
}
