package dev.kindling.core.report;

import java.util.List;
import java.util.Locale;

/** The few HTML pieces the reports are made of: escaped text, tables, and numbers as people read them. */
final class Html {

    static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** A table with a header row; cells are escaped. */
    static String table(String cssClass, List<String> header, List<List<String>> rows) {
        StringBuilder b = new StringBuilder("<table class=\"" + cssClass + "\"><tr>");
        for (String h : header) {
            b.append("<th>").append(escape(h)).append("</th>");
        }
        b.append("</tr>");
        for (List<String> row : rows) {
            b.append("<tr>");
            for (String cell : row) {
                b.append("<td>").append(escape(cell)).append("</td>");
            }
            b.append("</tr>");
        }
        return b.append("</table>").toString();
    }

    /** A number for a table: 4 significant decimals, integers as integers, "n/a" for NaN. */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.format(Locale.ROOT, "%d", (long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3 ? "%.3e" : "%.4f", v);
    }

    private Html() {}
}
