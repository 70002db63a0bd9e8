package dev.kindling.core.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;

/**
 * A confusion matrix as an SVG heatmap: one cell per (actual, predicted) pair, shaded by the share of
 * the actual class's examples it holds (so rare classes read as clearly as common ones), with the count
 * written in it. {@code data-points} on the {@code <svg>} counts the cells.
 */
final class Heatmap {
    private static final int CELL = 34;
    private static final int MARGIN = 90;

    /** @param confusion rows of counts, [actual][predicted]; @param names class names, by index */
    static String svg(JsonNode confusion, List<String> names) {
        int k = confusion.size();
        int size = MARGIN + k * CELL + 8;
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "<svg class=\"chart heatmap\" id=\"confusion\" data-points=\"%d\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\""
                        + " xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"confusion matrix\">", k * k, size, size, size, size));
        for (int a = 0; a < k; a++) {
            JsonNode row = confusion.get(a);
            double total = 0;
            for (JsonNode n : row) {
                total += n.asDouble();
            }
            String name = a < names.size() ? names.get(a) : String.valueOf(a);
            b.append(String.format(Locale.ROOT, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", MARGIN - 6,
                    MARGIN + a * CELL + CELL / 2 + 4, Html.escape(shorten(name))));
            b.append(String.format(Locale.ROOT, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"start\" transform=\"rotate(-60 %d %d)\">%s</text>",
                    MARGIN + a * CELL + CELL / 2, MARGIN - 6, MARGIN + a * CELL + CELL / 2, MARGIN - 6, Html.escape(shorten(name))));
            for (int p = 0; p < k; p++) {
                long count = row.get(p).asLong();
                double share = total == 0 ? 0 : count / total;
                int shade = (int) Math.round(255 * (1 - share));
                b.append(String.format(Locale.ROOT, "<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,255)\">"
                                + "<title>actual %s, predicted %s: %d (%.1f%%)</title></rect>", MARGIN + p * CELL, MARGIN + a * CELL, CELL - 1, CELL - 1,
                        shade, shade, Html.escape(name), Html.escape(p < names.size() ? names.get(p) : String.valueOf(p)), count, 100 * share));
                b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"10\" fill=\"%s\">%d</text>",
                        MARGIN + p * CELL + CELL / 2, MARGIN + a * CELL + CELL / 2 + 4, share > 0.5 ? "#fff" : "#222", count));
            }
        }
        return b.append("</svg>").toString();
    }

    private static String shorten(String name) {
        return name.length() <= 12 ? name : name.substring(0, 11) + "…";
    }

    private Heatmap() {}
}
