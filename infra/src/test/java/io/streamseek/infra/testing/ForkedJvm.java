package io.streamseek.infra.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A command line that starts a main class of this module in a JVM of its own, as the launcher does (Vector API, Flink's opens). */
public final class ForkedJvm {

    private static final List<String> OPENS = List.of("java.util", "java.lang", "java.lang.reflect", "java.io", "java.nio", "sun.nio.ch",
            "java.net", "java.time", "java.util.concurrent", "java.util.concurrent.atomic");

    private ForkedJvm() {
    }

    public static List<String> command(Class<?> main, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx2g"));
        for (String open : OPENS) {
            command.add("--add-opens");
            command.add("java.base/" + open + "=ALL-UNNAMED");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** A port free on loopback right now. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        }
    }
}
