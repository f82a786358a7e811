package io.streamseek.infra.bench;

import java.util.Locale;

/**
 * How the benchmark offers prompts to the pipeline. A closed loop measures latency under a fixed
 * number of callers, each waiting for its answer; an open loop sends at a rate whatever happens
 * downstream, as independent event producers do, so that the pipeline's throughput at and above
 * saturation and its latency at a given load can be read apart.
 */
public sealed interface Load {

    /** At most {@code requests} sent whose completion is not yet visible; the next one is sent when one becomes visible. */
    record Outstanding(int requests) implements Load {
        public Outstanding {
            if (requests < 1) {
                throw new IllegalArgumentException("--concurrency must be at least 1, was " + requests);
            }
        }

        @Override
        public String describe() {
            return "closed loop of " + requests + " outstanding";
        }
    }

    /** Poisson arrivals at {@code promptsPerSecond}, whatever the pipeline's state. */
    record Rate(double promptsPerSecond) implements Load {
        public Rate {
            if (!(promptsPerSecond > 0) || Double.isInfinite(promptsPerSecond)) {
                throw new IllegalArgumentException("--rate must be a positive number of prompts per second, was " + promptsPerSecond);
            }
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "open loop at %.2f prompts/s (Poisson arrivals)", promptsPerSecond);
        }
    }

    /** A rate given as a share of the engine's own capacity, known once the engine alone has been measured. */
    record CapacityShare(double share) implements Load {
        public CapacityShare {
            if (!(share > 0) || Double.isInfinite(share)) {
                throw new IllegalArgumentException("--rate N% needs a positive share of the engine's capacity, was " + share);
            }
        }

        public Rate of(double capacityPromptsPerSecond) {
            return new Rate(share * capacityPromptsPerSecond);
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "open loop at %.0f%% of the engine's capacity", share * 100);
        }
    }

    String describe();

    /**
     * {@code --rate}: prompts per second ({@code 4.5}) or a share of the engine's measured capacity
     * ({@code 50%}); without it, a closed loop of {@code concurrency}.
     */
    static Load parse(String rate, int concurrency) {
        if (rate == null) {
            return new Outstanding(concurrency);
        }
        String r = rate.strip();
        try {
            return r.endsWith("%") ? new CapacityShare(Double.parseDouble(r.substring(0, r.length() - 1)) / 100)
                    : new Rate(Double.parseDouble(r));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--rate takes prompts per second (4.5) or a share of the engine's capacity (50%), was '" + rate + "'");
        }
    }
}
