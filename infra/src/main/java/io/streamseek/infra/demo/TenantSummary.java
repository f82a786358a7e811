package io.streamseek.infra.demo;

import io.streamseek.schemas.Completion;
import io.streamseek.schemas.FinishReason;
import io.streamseek.schemas.TokenCost;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The demo's closing table: per tenant, requests, tokens, throughput, time to first token and cost per million tokens. */
final class TenantSummary {

    private static final class Row {
        int requests;
        int rejected;
        long promptTokens;
        long completionTokens;
        final List<Long> ttftMs = new ArrayList<>();
        BigDecimal cost = BigDecimal.ZERO;
        String currency = "";
    }

    private final Map<String, Row> rows = new TreeMap<>();

    void completion(Completion c) {
        Row row = rows.computeIfAbsent(c.getTenantId(), t -> new Row());
        row.requests++;
        if (c.getFinishReason() == FinishReason.REJECTED) {
            row.rejected++;
            return;
        }
        row.promptTokens += c.getUsage().getPromptTokens();
        row.completionTokens += c.getUsage().getCompletionTokens();
        if (c.getTimings().getTimeToFirstTokenMs() != null) {
            row.ttftMs.add(c.getTimings().getTimeToFirstTokenMs());
        }
    }

    void cost(TokenCost cost) {
        Row row = rows.computeIfAbsent(cost.getTenantId(), t -> new Row());
        row.cost = row.cost.add(cost.getCost().getAmount());
        row.currency = cost.getCost().getCurrency();
    }

    /** @param seconds the run's wall time, from the first prompt produced to the last outcome read */
    void print(PrintStream out, double seconds) {
        out.printf("%n%-10s %8s %8s %10s %12s %10s %10s %10s %22s%n", "tenant", "requests", "rejected", "prompt tok", "generated tok",
                "tokens/s", "TTFT p50", "TTFT p99", "cost / 1M gen. tokens");
        for (Map.Entry<String, Row> e : rows.entrySet()) {
            Row r = e.getValue();
            String perMillion = r.completionTokens == 0 ? "-" : r.cost.multiply(BigDecimal.valueOf(1_000_000))
                    .divide(BigDecimal.valueOf(r.completionTokens), MathContext.DECIMAL64).setScale(6, java.math.RoundingMode.HALF_EVEN)
                    .toPlainString() + " " + r.currency;
            out.printf("%-10s %8d %8d %10d %12d %10.1f %8s %8s %22s%n", e.getKey(), r.requests, r.rejected, r.promptTokens,
                    r.completionTokens, r.completionTokens / Math.max(seconds, 1e-3), percentile(r.ttftMs, 50), percentile(r.ttftMs, 99),
                    perMillion);
        }
    }

    private static String percentile(List<Long> values, int p) {
        if (values.isEmpty()) {
            return "-";
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, index)) + "ms";
    }
}
