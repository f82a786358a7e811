package io.streamseek.gpu.cli;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Draws bench.png: throughput (left axis) and TPOT p50 (right axis) against concurrency. */
final class BenchChart {

    private static final int WIDTH = 800;
    private static final int HEIGHT = 480;
    private static final int MARGIN = 70;

    private BenchChart() {
    }

    static void write(List<BenchCommand.Row> rows, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("StreamSeek engine: throughput and latency vs concurrency", MARGIN, 30);
        int x0 = MARGIN;
        int y0 = HEIGHT - MARGIN;
        int w = WIDTH - 2 * MARGIN;
        int h = HEIGHT - 2 * MARGIN;
        g.drawLine(x0, y0, x0 + w, y0);
        g.drawLine(x0, y0, x0, y0 - h);
        g.drawLine(x0 + w, y0, x0 + w, y0 - h);
        double maxThroughput = rows.stream().mapToDouble(BenchCommand.Row::tokensPerSecond).max().orElse(1) * 1.1;
        double maxTpot = rows.stream().mapToDouble(BenchCommand.Row::tpotP50).max().orElse(1) * 1.1;
        int n = rows.size();
        int[] xs = new int[n];
        for (int i = 0; i < n; i++) {
            xs[i] = x0 + (n == 1 ? w / 2 : i * w / (n - 1));
            g.setColor(Color.BLACK);
            g.drawString(Integer.toString(rows.get(i).concurrency()), xs[i] - 8, y0 + 18);
        }
        g.drawString("concurrency", x0 + w / 2 - 35, y0 + 40);
        plot(g, rows, xs, y0, h, maxThroughput, true, new Color(0x1f77b4));
        plot(g, rows, xs, y0, h, maxTpot, false, new Color(0xd62728));
        g.setColor(new Color(0x1f77b4));
        g.drawString(String.format("tokens/s (max %.0f)", maxThroughput / 1.1), x0 + 5, y0 - h - 8);
        g.setColor(new Color(0xd62728));
        g.drawString(String.format("TPOT p50 ms (max %.1f)", maxTpot / 1.1), x0 + w - 170, y0 - h - 8);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private static void plot(Graphics2D g, List<BenchCommand.Row> rows, int[] xs, int y0, int h, double max, boolean throughput, Color color) {
        g.setColor(color);
        g.setStroke(new BasicStroke(2.5f));
        int previousY = -1;
        for (int i = 0; i < rows.size(); i++) {
            double value = throughput ? rows.get(i).tokensPerSecond() : rows.get(i).tpotP50();
            int y = y0 - (int) (value / max * h);
            g.fillOval(xs[i] - 4, y - 4, 8, 8);
            if (previousY >= 0) {
                g.drawLine(xs[i - 1], previousY, xs[i], y);
            }
            previousY = y;
        }
    }
}
