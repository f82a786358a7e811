package io.streamseek.infra.cluster;

import io.streamseek.schemas.local.EmbeddedKafkaBroker;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * One node of the local cluster's Kafka (KRaft, broker and controller), in its own process until
 * SIGTERM, which shuts it down cleanly (a controlled shutdown: its partitions' leadership moves
 * first). Started by the cluster launcher with {@code node-id= port= controller-port= voters=
 * cluster-id= data= replicas=}; prints {@code ready} once it serves.
 */
public final class KafkaNodeMain {

    private KafkaNodeMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        NodeArguments a = new NodeArguments("kafka node", args);
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder()
                .clusterNode(a.integer("node-id"), a.integer("controller-port"), a.get("voters"), a.get("cluster-id"))
                .port(a.integer("port"))
                .replicas(a.integer("replicas"))
                .dataDir(Path.of(a.get("data")))
                // A node waits for its peers to form the quorum: they start at the same time, but the
                // machine may be slow to start three JVMs.
                .startTimeout(java.time.Duration.ofMinutes(3))
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "kafka-node-shutdown"));
        broker.start();
        System.out.println("ready: Kafka node " + a.get("node-id") + " serving on " + broker.bootstrapServers());
        stopped.await();
    }
}
