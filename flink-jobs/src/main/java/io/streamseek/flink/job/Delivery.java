package io.streamseek.flink.job;

import org.apache.flink.connector.base.DeliveryGuarantee;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How completions reach their topic ({@code streamseek.delivery}). Token costs, cost rollups and
 * dead letters are exactly once in both modes: billing never counts a request twice.
 */
public enum Delivery {
    /**
     * In the transaction of the checkpoint that holds them: one completion per request_id, visible
     * to read_committed consumers when that checkpoint completes (up to one checkpoint interval later).
     */
    EXACTLY_ONCE("exactly-once", DeliveryGuarantee.EXACTLY_ONCE),
    /**
     * Written as they finish, visible at once. A replay after a failure may write a second
     * completion with the same request_id key and, the engine being batch-invariant and the seed
     * derived from the request, the same text; consumers deduplicate by key (a compacted topic does).
     */
    AT_LEAST_ONCE("at-least-once", DeliveryGuarantee.AT_LEAST_ONCE);

    private final String optionValue;
    private final DeliveryGuarantee completionsSink;

    Delivery(String optionValue, DeliveryGuarantee completionsSink) {
        this.optionValue = optionValue;
        this.completionsSink = completionsSink;
    }

    /** The guarantee of the completions' {@code KafkaSink} in this mode. */
    public DeliveryGuarantee completionsSink() {
        return completionsSink;
    }

    /** The value of {@code streamseek.delivery} that selects this mode. */
    public String optionValue() {
        return optionValue;
    }

    /** The mode {@code value} names; fails naming the option and the values it takes. */
    public static Delivery of(String value) {
        for (Delivery d : values()) {
            if (d.optionValue.equals(value)) {
                return d;
            }
        }
        throw new IllegalArgumentException(InferenceJobOptions.DELIVERY.key() + " is '" + value + "'; it takes "
                + Arrays.stream(values()).map(Delivery::optionValue).collect(Collectors.joining(" or ")));
    }
}
