package dev.kindling.core.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Map;

/** {@code metrics.json} as DESIGN.md's contract gives it; NaN (not reported) becomes null. */
public final class MetricsJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper LINE = new ObjectMapper();

    public static byte[] pretty(Map<String, Object> m) {
        try {
            return JSON.writeValueAsBytes(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One line, for stdout's last line. */
    public static String line(Map<String, Object> m) {
        try {
            return LINE.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** NaN (not measured) as JSON null. */
    public static Object orNull(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private MetricsJson() {}
}
