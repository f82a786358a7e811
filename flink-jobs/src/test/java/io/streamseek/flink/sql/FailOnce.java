package io.streamseek.flink.sql;

import org.apache.flink.table.functions.ScalarFunction;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A filter that passes every row and throws once, at the {@code failAt}-th row it sees in this
 * JVM: the failure a streaming SQL test injects mid-run (the MiniCluster runs in the test's JVM).
 */
public class FailOnce extends ScalarFunction {

    static final AtomicInteger SEEN = new AtomicInteger();
    static volatile int failAt = -1;
    static volatile boolean failed;

    static void arm(int row) {
        SEEN.set(0);
        failed = false;
        failAt = row;
    }

    public boolean eval(String id) {
        if (SEEN.incrementAndGet() == failAt && !failed) {
            failed = true;
            throw new IllegalStateException("injected failure at row " + failAt + " (" + id + ")");
        }
        return true;
    }
}
