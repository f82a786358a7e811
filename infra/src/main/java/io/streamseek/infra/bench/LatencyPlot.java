package io.streamseek.infra.bench;

import java.util.Locale;

/**
 * {@code pipeline.svg}: for each run, produce-to-visible latency of every request against the
 * time it was sent (top), and its commit wait against the time it became visible (bottom), where
 * the checkpoint interval shows as a saw-tooth. Plain SVG, so that it opens in any browser.
 */
public final class LatencyPlot {

    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    private static final int WIDTH = 900;
    private static final int PANEL = 300;
    private static final int LEFT = 70;
    private static final int TOP = 40;
    private static final int GAP = 60;

    private LatencyPlot() {
    }

    public static String svg(PipelineBench.Result result) {
        double maxSeconds = 0;
        double maxLatency = 0;
        double maxCommit = 0;
        for (PipelineBench.Run run : result.runs()) {
            double start = start(run);
            for (RequestLatency r : run.requests()) {
                maxSeconds = Math.max(maxSeconds, (r.visibleMs() - start) / 1000);
                maxLatency = Math.max(maxLatency, r.endToEnd() / 1000);
                maxCommit = Math.max(maxCommit, r.commitWait() / 1000);
            }
        }
        StringBuilder s = new StringBuilder();
        int height = TOP + 2 * PANEL + GAP + 50;
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
                + "font-size=\"12\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n", WIDTH, height));
        panel(s, TOP, "produce to visible (s) against time sent (s)", maxSeconds, maxLatency);
        panel(s, TOP + PANEL + GAP, "commit wait (s) against time visible (s)", maxSeconds, maxCommit);
        for (int i = 0; i < result.runs().size(); i++) {
            PipelineBench.Run run = result.runs().get(i);
            String colour = COLOURS[i % COLOURS.length];
            double start = start(run);
            for (RequestLatency r : run.requests()) {
                dot(s, TOP, (r.sentMs() - start) / 1000, r.endToEnd() / 1000, maxSeconds, maxLatency, colour);
                dot(s, TOP + PANEL + GAP, (r.visibleMs() - start) / 1000, r.commitWait() / 1000, maxSeconds, maxCommit, colour);
            }
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">"
                    + "checkpoint interval %s</text>%n", LEFT + 10 + 190 * i, 12, colour, LEFT + 25 + 190 * i, 21, run.interval()));
        }
        return s.append("</svg>\n").toString();
    }

    private static double start(PipelineBench.Run run) {
        return run.requests().stream().mapToDouble(RequestLatency::sentMs).min().orElse(0);
    }

    private static void panel(StringBuilder s, int top, String title, double maxX, double maxY) {
        int w = WIDTH - LEFT - 30;
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>%n", LEFT, top, w, PANEL));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT, top - 6, title));
        for (int t = 0; t <= 4; t++) {
            double y = top + PANEL - PANEL * t / 4.0;
            double x = LEFT + w * t / 4.0;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>%n", LEFT - 5, y + 4, maxY * t / 4));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>%n", x, top + PANEL + 15, maxX * t / 4));
        }
    }

    private static void dot(StringBuilder s, int top, double x, double y, double maxX, double maxY, String colour) {
        int w = WIDTH - LEFT - 30;
        double px = LEFT + (maxX <= 0 ? 0 : x / maxX) * w;
        double py = top + PANEL - (maxY <= 0 ? 0 : y / maxY) * PANEL;
        s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\" fill-opacity=\"0.6\"/>%n", px, py, colour));
    }
}
