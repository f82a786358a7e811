package io.streamseek.flink.cost;

import io.streamseek.flink.inference.Outcome;
import io.streamseek.schemas.CostRollup;
import io.streamseek.schemas.TokenCost;

import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * Per tenant and model, the served requests of one event-time window (by the token cost's
 * {@code produced_at}) summed into a {@link CostRollup}: costs and device time from the token-cost
 * record, token counts from the completion's usage. It reads the same outcomes the sinks commit,
 * inside the same checkpoints, so a request re-run after a restore is counted once, as it is
 * billed once.
 */
public final class CostRollups {

    private CostRollups() {
    }

    /** The key of a rollup: tenant and model, which cannot contain the separator's NUL. */
    public static String key(Outcome outcome) {
        return outcome.tokenCost.getTenantId() + '\u0000' + outcome.tokenCost.getModel();
    }

    /** Running sums of one window; a Flink POJO. */
    public static class Sums {
        public String tenant;
        public String model;
        public String currency;
        public long requests;
        public long promptTokens;
        public long cachedPromptTokens;
        public long completionTokens;
        public long deviceTimeUs;
        public BigDecimal cost = BigDecimal.ZERO;

        public Sums() {
        }
    }

    /** Sums the served outcomes of a window. */
    public static final class Sum implements AggregateFunction<Outcome, Sums, Sums> {

        private static final long serialVersionUID = 1L;

        @Override
        public Sums createAccumulator() {
            return new Sums();
        }

        @Override
        public Sums add(Outcome outcome, Sums sums) {
            TokenCost value = outcome.tokenCost;
            if (sums.currency != null && !sums.currency.equals(value.getCost().getCurrency())) {
                throw new IllegalStateException("tenant " + value.getTenantId() + " has costs in " + sums.currency + " and "
                        + value.getCost().getCurrency() + " in one window; one job prices in one currency");
            }
            sums.tenant = value.getTenantId();
            sums.model = value.getModel();
            sums.currency = value.getCost().getCurrency();
            sums.requests++;
            sums.promptTokens += outcome.completion.getUsage().getPromptTokens();
            sums.cachedPromptTokens += outcome.completion.getUsage().getCachedPromptTokens();
            sums.completionTokens += outcome.completion.getUsage().getCompletionTokens();
            sums.deviceTimeUs += value.getTotals().getDeviceTimeUs();
            sums.cost = sums.cost.add(value.getCost().getAmount());
            return sums;
        }

        @Override
        public Sums getResult(Sums sums) {
            return sums;
        }

        @Override
        public Sums merge(Sums a, Sums b) {
            a.requests += b.requests;
            a.promptTokens += b.promptTokens;
            a.cachedPromptTokens += b.cachedPromptTokens;
            a.completionTokens += b.completionTokens;
            a.deviceTimeUs += b.deviceTimeUs;
            a.cost = a.cost.add(b.cost);
            return a;
        }
    }

    /** Stamps the window's bounds on its sums. */
    public static final class ToRollup extends ProcessWindowFunction<Sums, CostRollup, String, TimeWindow> {

        private static final long serialVersionUID = 1L;

        @Override
        public void process(String key, Context context, Iterable<Sums> elements, Collector<CostRollup> out) {
            for (Sums s : elements) {
                out.collect(CostRollup.newBuilder()
                        .setTenantId(s.tenant)
                        .setModel(s.model)
                        .setWindowStart(Instant.ofEpochMilli(context.window().getStart()))
                        .setWindowEnd(Instant.ofEpochMilli(context.window().getEnd()))
                        .setRequests(s.requests)
                        .setPromptTokens(s.promptTokens)
                        .setCachedPromptTokens(s.cachedPromptTokens)
                        .setCompletionTokens(s.completionTokens)
                        .setDeviceTimeUs(s.deviceTimeUs)
                        .setCost(s.cost)
                        .setCurrency(s.currency)
                        .build());
            }
        }
    }
}
