package io.streamseek.infra.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The classpath of a Flink 2.2 distribution's JVMs: {@code infra/flink-dist/pom.xml}'s dependencies,
 * resolved by Maven into a file once. The JobManager, TaskManagers and ZooKeeper run on it alone,
 * and the job reaches them only as its shaded jar, through the REST API.
 */
public final class FlinkDistribution {

    /** A file holding the resolved classpath ({@code ./streamseek} sets it); otherwise it is resolved with Maven. */
    public static final String CLASSPATH_PROPERTY = "streamseek.flink.classpath";
    /** A file holding the classpath of the distribution's {@code opt/} SQL Gateway and SQL client jars ({@code infra/flink-dist/sql/pom.xml}). */
    public static final String SQL_CLASSPATH_PROPERTY = "streamseek.flink.sql.classpath";

    private FlinkDistribution() {
    }

    /** The classpath from {@value #CLASSPATH_PROPERTY}'s file. */
    public static String classpath() throws IOException {
        return fromProperty(CLASSPATH_PROPERTY, "Flink distribution", "infra/flink-dist/pom.xml", "flink-runtime");
    }

    /** The SQL Gateway's and SQL client's jars from {@value #SQL_CLASSPATH_PROPERTY}'s file, to add to {@link #classpath()}. */
    public static String sqlClasspath() throws IOException {
        return fromProperty(SQL_CLASSPATH_PROPERTY, "SQL Gateway", "infra/flink-dist/sql/pom.xml", "flink-sql-gateway");
    }

    private static String fromProperty(String property, String what, String pom, String mustHold) throws IOException {
        String file = System.getProperty(property);
        if (file == null) {
            throw new IllegalStateException("no " + what + " classpath: run through ./streamseek, or set -D" + property
                    + "=FILE (made by: mvn -f " + pom + " dependency:build-classpath -Dmdep.outputFile=FILE)");
        }
        return read(Path.of(file), mustHold);
    }

    /**
     * Resolves {@code pom}'s classpath with the Maven at {@code mavenHome} into {@code out} unless it
     * is there already and newer than {@code pom}, and returns it: what the tests do, given the Maven running them.
     */
    public static String resolve(Path mavenHome, Path pom, Path out, String flinkVersion) throws IOException, InterruptedException {
        return resolve(mavenHome, pom, out, flinkVersion, "flink-runtime");
    }

    /** {@link #resolve} for {@code infra/flink-dist/sql/pom.xml}: the jars to add to the distribution's for the SQL Gateway and client. */
    public static String resolveSql(Path mavenHome, Path pom, Path out, String flinkVersion) throws IOException, InterruptedException {
        return resolve(mavenHome, pom, out, flinkVersion, "flink-sql-gateway");
    }

    private static String resolve(Path mavenHome, Path pom, Path out, String flinkVersion, String mustHold) throws IOException, InterruptedException {
        if (!Files.isRegularFile(out) || Files.getLastModifiedTime(pom).compareTo(Files.getLastModifiedTime(out)) > 0) {
            Path log = out.resolveSibling(out.getFileName() + ".log");
            Process mvn = new ProcessBuilder(mavenHome.resolve("bin").resolve("mvn").toString(), "-q", "-B", "-f", pom.toString(),
                    "-Dflink.version=" + flinkVersion, "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath",
                    "-Dmdep.outputFile=" + out).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!mvn.waitFor(10, TimeUnit.MINUTES) || mvn.exitValue() != 0) {
                mvn.destroyForcibly();
                throw new IllegalStateException("resolving the Flink distribution's classpath from " + pom + " failed; see " + log);
            }
        }
        return read(out, mustHold);
    }

    private static String read(Path file, String mustHold) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("the Flink distribution classpath file " + file + " does not exist");
        }
        String classpath = Files.readString(file).trim();
        if (!classpath.contains(mustHold)) {
            throw new IllegalStateException(file + " does not hold the classpath expected (no " + mustHold + " jar in it)");
        }
        return classpath;
    }
}
