package dev.kindling.core.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A line chart as inline SVG, drawn here rather than in the browser, so the report is one static file
 * that needs no script and no network. Each series is a {@code <polyline>} whose {@code points} hold one
 * "x,y" pair per value (series of few values also get a dot per value, so one epoch still shows);
 * non-finite values are left out. {@code data-points} on the {@code <svg>} counts the pairs drawn, which
 * the browser test compares with the events the chart came from.
 */
public final class SvgChart {
    static final int WIDTH = 560;
    static final int HEIGHT = 300;
    private static final int LEFT = 64;
    private static final int RIGHT = 16;
    /** Room above the plot for the title and, below it, the legend. */
    private static final int TOP = 46;
    private static final int BOTTOM = 44;
    /** Series with at most this many points get a dot per point. */
    private static final int DOTS_UP_TO = 60;
    static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"};

    /** One line: its legend name and its points. */
    public record Series(String name, double[] x, double[] y) {}

    private final String id;
    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();

    public SvgChart(String id, String title, String xLabel, String yLabel) {
        this.id = id;
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public SvgChart add(String name, double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series " + name + ": " + x.length + " x values for " + y.length + " y values");
        }
        series.add(new Series(name, x, y));
        return this;
    }

    /** Whether any series has a finite point to draw. */
    public boolean hasData() {
        return series.stream().anyMatch(s -> finitePoints(s) > 0);
    }

    public String svg() {
        double[] xr = range(true);
        double[] yr = range(false);
        int drawn = series.stream().mapToInt(SvgChart::finitePoints).sum();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg class=\"chart\" id=\"%s\" data-points=\"%d\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\""
                + " xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"%s\">", Html.escape(id), drawn, WIDTH, HEIGHT, WIDTH, HEIGHT,
                Html.escape(title)));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" class=\"title\">%s</text>", LEFT, Html.escape(title)));
        axes(b, xr, yr);
        for (int i = 0; i < series.size(); i++) {
            line(b, series.get(i), COLORS[i % COLORS.length], xr, yr);
        }
        legend(b);
        b.append("</svg>");
        return b.toString();
    }

    private static int finitePoints(Series s) {
        int n = 0;
        for (int i = 0; i < s.x.length; i++) {
            if (Double.isFinite(s.x[i]) && Double.isFinite(s.y[i])) {
                n++;
            }
        }
        return n;
    }

    /** [min, max] of the finite x (or y) values, widened when flat; y always includes its values' span only. */
    private double[] range(boolean x) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x.length; i++) {
                if (Double.isFinite(s.x[i]) && Double.isFinite(s.y[i])) {
                    double v = x ? s.x[i] : s.y[i];
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (lo > hi) {
            return new double[] {0, 1};
        }
        if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
            double pad = Math.max(Math.abs(hi) * 0.05, 1e-3);
            return new double[] {lo - pad, hi + pad};
        }
        return new double[] {lo, hi};
    }

    private static double px(double v, double[] r) {
        return LEFT + (v - r[0]) / (r[1] - r[0]) * (WIDTH - LEFT - RIGHT);
    }

    private static double py(double v, double[] r) {
        return HEIGHT - BOTTOM - (v - r[0]) / (r[1] - r[0]) * (HEIGHT - TOP - BOTTOM);
    }

    private void axes(StringBuilder b, double[] xr, double[] yr) {
        int x0 = LEFT;
        int y0 = HEIGHT - BOTTOM;
        b.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x0, y0, WIDTH - RIGHT, y0));
        b.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x0, TOP, x0, y0));
        for (int t = 0; t <= 4; t++) {
            double xv = xr[0] + t * (xr[1] - xr[0]) / 4;
            double yv = yr[0] + t * (yr[1] - yr[0]) / 4;
            b.append(String.format(Locale.ROOT, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", px(xv, xr), y0 + 16,
                    tick(xv)));
            b.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>", x0, py(yv, yr), WIDTH - RIGHT,
                    py(yv, yr)));
            b.append(String.format(Locale.ROOT, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", x0 - 6, py(yv, yr) + 4,
                    tick(yv)));
        }
        b.append(String.format(Locale.ROOT, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>", (LEFT + WIDTH - RIGHT) / 2,
                HEIGHT - 8, Html.escape(xLabel)));
        b.append(String.format(Locale.ROOT, "<text class=\"label\" x=\"14\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">%s</text>",
                (TOP + HEIGHT - BOTTOM) / 2, (TOP + HEIGHT - BOTTOM) / 2, Html.escape(yLabel)));
    }

    private static void line(StringBuilder b, Series s, String color, double[] xr, double[] yr) {
        StringBuilder points = new StringBuilder();
        StringBuilder dots = new StringBuilder();
        boolean withDots = finitePoints(s) <= DOTS_UP_TO;
        for (int i = 0; i < s.x.length; i++) {
            if (!Double.isFinite(s.x[i]) || !Double.isFinite(s.y[i])) {
                continue;
            }
            double cx = px(s.x[i], xr);
            double cy = py(s.y[i], yr);
            points.append(points.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.1f,%.1f", cx, cy));
            if (withDots) {
                dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%s: %s, %s</title></circle>", cx, cy,
                        color, Html.escape(s.name), tick(s.x[i]), tick(s.y[i])));
            }
        }
        b.append(String.format(Locale.ROOT, "<polyline class=\"series\" data-series=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>",
                Html.escape(s.name), color, points));
        b.append(dots);
    }

    private void legend(StringBuilder b) {
        int x = LEFT + 8;
        for (int i = 0; i < series.size(); i++) {
            String name = series.get(i).name;
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>", x, TOP - 20, COLORS[i % COLORS.length]));
            b.append(String.format(Locale.ROOT, "<text class=\"legend\" x=\"%d\" y=\"%d\">%s</text>", x + 14, TOP - 11, Html.escape(name)));
            x += 24 + 7 * name.length();
        }
    }

    /** A tick or tooltip number: 3 significant digits, scientific outside [1e-3, 1e5). */
    static String tick(double v) {
        double a = Math.abs(v);
        if (a != 0 && (a < 1e-3 || a >= 1e5)) {
            return String.format(Locale.ROOT, "%.2e", v);
        }
        String s = String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f", v);
        return s.equals("-0.000") ? "0" : s;
    }
}
