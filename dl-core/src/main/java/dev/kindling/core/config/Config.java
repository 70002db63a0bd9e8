package dev.kindling.core.config;

import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.DoublePredicate;
import java.util.function.LongPredicate;

/**
 * A resolved configuration: defaults &lt; preset &lt; config file &lt; {@code --key=value} flags.
 * Every key must be one of {@link Keys}; an unknown key is a {@link ConfigException} that suggests
 * the nearest valid key. Values are validated when read, with the key's documented range.
 */
public final class Config implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<String, String> values;

    private Config(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    /** Only the defaults of {@link Keys}. */
    public static Config defaults() {
        return new Builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Layers of settings, applied in the order given; later layers win. */
    public static final class Builder {
        private final Map<String, String> values = new LinkedHashMap<>();

        private Builder() {
            for (ConfigKey k : Keys.all().values()) {
                if (k.defaultValue() != null) {
                    values.put(k.name(), k.defaultValue());
                }
            }
        }

        /** Applies a properties file (a preset or the user's config file). */
        public Builder file(Path path) {
            if (!Files.isRegularFile(path)) {
                throw new ConfigException("config file=" + path + ": not found; pass an existing .properties file");
            }
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new ConfigException("config file=" + path + ": unreadable (" + e.getMessage() + ")");
            }
            Map<String, String> m = new LinkedHashMap<>();
            p.stringPropertyNames().forEach(n -> m.put(n, p.getProperty(n).trim()));
            return apply(m, "in " + path);
        }

        /** Applies key/value pairs, for example parsed flags. */
        public Builder apply(Map<String, String> settings, String where) {
            for (Map.Entry<String, String> e : settings.entrySet()) {
                String name = e.getKey();
                if (!Keys.all().containsKey(name)) {
                    throw unknownKey(name, where);
                }
                values.put(name, e.getValue());
            }
            return this;
        }

        public Builder set(ConfigKey key, String value) {
            values.put(key.name(), value);
            return this;
        }

        public Config build() {
            return new Config(values);
        }
    }

    /** A copy with one key changed. */
    public Config with(ConfigKey key, String value) {
        Map<String, String> m = new LinkedHashMap<>(values);
        m.put(key.name(), value);
        return new Config(m);
    }

    public boolean has(ConfigKey key) {
        String v = values.get(key.name());
        return v != null && !v.isEmpty();
    }

    /** The value, or a ConfigException naming the key when it is not set. */
    public String string(ConfigKey key) {
        if (!has(key)) {
            throw new ConfigException(key.name() + " is required: " + key.doc() + "; pass --" + key.name() + "=...");
        }
        return values.get(key.name());
    }

    public String stringOr(ConfigKey key, String fallback) {
        return has(key) ? values.get(key.name()) : fallback;
    }

    public String oneOf(ConfigKey key, List<String> valid) {
        String v = string(key);
        if (!valid.contains(v)) {
            throw new ConfigException(key.name() + "=" + v + ": must be one of " + String.join(", ", valid));
        }
        return v;
    }

    public long longValue(ConfigKey key, LongPredicate valid) {
        String v = string(key);
        long parsed;
        try {
            parsed = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key.name() + "=" + v + ": not an integer; " + key.doc());
        }
        if (!valid.test(parsed)) {
            throw new ConfigException(key.name() + "=" + v + ": out of range; " + key.doc());
        }
        return parsed;
    }

    public int intValue(ConfigKey key, LongPredicate valid) {
        return Math.toIntExact(longValue(key, n -> n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE && valid.test(n)));
    }

    public double doubleValue(ConfigKey key, DoublePredicate valid) {
        String v = string(key);
        double parsed;
        try {
            parsed = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key.name() + "=" + v + ": not a number; " + key.doc());
        }
        if (Double.isNaN(parsed) || Double.isInfinite(parsed) || !valid.test(parsed)) {
            throw new ConfigException(key.name() + "=" + v + ": out of range; " + key.doc());
        }
        return parsed;
    }

    /** {@code key=value} lines, sorted, for saving inside a model or run directory. */
    public String toProperties() {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString();
    }

    static ConfigException unknownKey(String name, String where) {
        String nearest = nearest(name, new ArrayList<>(Keys.all().keySet()));
        String hint = name.startsWith("spark.")
                ? "Spark's own settings go to Spark: --conf " + name + "=..."
                : "did you mean '" + nearest + "'? (scripts/kindling <command> --help lists every key)";
        return new ConfigException("unknown config key '" + name + "' " + where + ": " + hint);
    }

    /** The candidate with the smallest edit distance to {@code word}. */
    static String nearest(String word, List<String> candidates) {
        String best = candidates.get(0);
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = editDistance(word, c);
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return best;
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
