package dev.kindling.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a report's charts draw, counted from the page (a file, or the DOM a browser ended with). */
public final class ChartPoints {

    /** Pairs drawn per chart id (polyline points, heatmap cells); each must equal the chart's data-points. */
    public static Map<String, Integer> plotted(String html) {
        Map<String, Integer> out = new LinkedHashMap<>();
        Matcher svg = Pattern.compile("<svg class=\"chart[^\"]*\" id=\"([^\"]+)\" data-points=\"(\\d+)\".*?</svg>", Pattern.DOTALL).matcher(html);
        while (svg.find()) {
            Matcher line = Pattern.compile("\\spoints=\"([^\"]*)\"").matcher(svg.group());
            int pairs = 0;
            while (line.find()) {
                pairs += line.group(1).isBlank() ? 0 : line.group(1).trim().split(" ").length;
            }
            int cells = svg.group().split("<rect class=\"cell\"", -1).length - 1;
            assertEquals(Integer.parseInt(svg.group(2)), pairs + cells, "chart " + svg.group(1) + " draws what it says");
            out.put(svg.group(1), pairs + cells);
        }
        return out;
    }

    private ChartPoints() {}
}
