package dev.kindling.core.diag;

import dev.kindling.core.optim.InPlaceUpdater;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The seed's {@code lr_finder}: the learning rate grows exponentially from {@code start} to
 * {@code end} over {@code steps} minibatches ({@code lr *= (end/start)^(1/steps)} after each step);
 * each step records the minibatch loss before its update, and the sweep stops once a loss exceeds
 * {@code 4x} the lowest so far. The suggestion is the seed's: the steepest descent of the 5-point
 * moving average of the losses, {@code lrs[argmin(diff(smoothed)) + 2]}.
 */
public final class LrFinder {
    public static final double DIVERGED = 4.0;
    public static final int SMOOTH = 5;

    /** @param suggested NaN when the sweep stopped before there were enough points to smooth */
    public record Result(List<Double> lrs, List<Double> losses, double suggested, double minLossLr, boolean diverged) {

        public String csv() {
            StringBuilder sb = new StringBuilder("step,lr,loss\n");
            for (int i = 0; i < lrs.size(); i++) {
                sb.append(i).append(',').append(String.format(Locale.ROOT, "%.6e", lrs.get(i))).append(',')
                        .append(String.format(Locale.ROOT, "%.6f", losses.get(i))).append('\n');
            }
            return sb.toString();
        }

        /** Loss against log10(lr), the suggestion marked. */
        public byte[] svg() {
            int w = 640, h = 400, pad = 50;
            double x0 = Math.log10(lrs.get(0)), x1 = Math.log10(lrs.get(lrs.size() - 1));
            double y0 = losses.stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).min().orElse(0);
            double y1 = losses.stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).max().orElse(1);
            if (x1 <= x0) {
                x1 = x0 + 1;
            }
            if (y1 <= y0) {
                y1 = y0 + 1;
            }
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">%n", w, h));
            sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", pad, h - pad, w - pad, h - pad));
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", pad, pad, pad, h - pad));
            for (int e = (int) Math.ceil(x0); e <= Math.floor(x1); e++) {
                double x = pad + (e - x0) / (x1 - x0) * (w - 2 * pad);
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">1e%d</text>%n", x, h - pad + 15, e));
            }
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">loss %.3f</text>%n", 2, pad, y1));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%.3f</text>%n", 2, h - pad, y0));
            sb.append("<polyline fill=\"none\" stroke=\"steelblue\" stroke-width=\"1.5\" points=\"");
            for (int i = 0; i < lrs.size(); i++) {
                if (Double.isFinite(losses.get(i))) {
                    sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", pad + (Math.log10(lrs.get(i)) - x0) / (x1 - x0) * (w - 2 * pad),
                            h - pad - (losses.get(i) - y0) / (y1 - y0) * (h - 2 * pad)));
                }
            }
            sb.append("\"/>\n");
            if (Double.isFinite(suggested)) {
                double x = pad + (Math.log10(suggested) - x0) / (x1 - x0) * (w - 2 * pad);
                sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"red\" stroke-dasharray=\"4\"/>%n", x, pad, x, h - pad));
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" fill=\"red\">suggested lr %.2e</text>%n", x + 4, pad + 12, suggested));
            }
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">learning rate (log scale)</text>%n", w / 2, h - 10));
            sb.append("</svg>\n");
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * Sweeps on {@code net} (trained in place: pass a fresh one), drawing minibatches from
     * {@code batches} until {@code steps} or divergence.
     */
    public static Result sweep(ComputationGraph net, Iterator<DataSet> batches, double start, double end, int steps) {
        if (!(start > 0) || !(end > start) || steps < 2) {
            throw new IllegalArgumentException("start=" + start + ", end=" + end + ", steps=" + steps + ": need 0 < start < end and steps >= 2");
        }
        InPlaceUpdater.install(net);
        double mult = Math.pow(end / start, 1.0 / steps);
        double lr = start;
        List<Double> lrs = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        double min = Double.POSITIVE_INFINITY;
        boolean diverged = false;
        for (int i = 0; i < steps && batches.hasNext(); i++) {
            net.setLearningRate(lr);
            net.fit(batches.next());
            double loss = net.score();
            lrs.add(lr);
            losses.add(loss);
            min = Math.min(min, loss);
            lr *= mult;
            if (!Double.isFinite(loss) || loss > DIVERGED * min) {
                diverged = true;
                break;
            }
        }
        return new Result(List.copyOf(lrs), List.copyOf(losses), suggest(lrs, losses), lrs.get(argmin(losses)), diverged);
    }

    /**
     * The seed's choice, searched only up to the loss minimum (as fastai's finder does): 5-point moving
     * average, steepest negative slope, offset by 2 (the window's centre). Past the minimum the loss is
     * on its way to diverging, and a spike leaving the average there looks like the steepest descent.
     */
    static double suggest(List<Double> lrs, List<Double> losses) {
        int n = losses.size() - SMOOTH + 1;
        if (n < 2) {
            return Double.NaN;
        }
        double[] sm = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < SMOOTH; j++) {
                sm[i] += losses.get(i + j) / SMOOTH;
            }
        }
        int lowest = argmin(losses);
        int steep = 0;
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i + 1 < n && i + SMOOTH / 2 <= lowest; i++) { // the suggestion lrs[i + 2] never passes the minimum
            double d = sm[i + 1] - sm[i];
            if (d < best) {
                best = d;
                steep = i;
            }
        }
        return lrs.get(steep + SMOOTH / 2);
    }

    private static int argmin(List<Double> v) {
        int best = 0;
        for (int i = 1; i < v.size(); i++) {
            if (v.get(i) < v.get(best)) {
                best = i;
            }
        }
        return best;
    }

    private LrFinder() {}
}
