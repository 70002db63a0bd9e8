package dev.kindling.core.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;

/**
 * The one loader: a command's keys in layers, later layers winning: defaults &lt; presets (a model's
 * own defaults, the demo's preset file) &lt; the config file &lt; {@code --key=value} flags. A key the
 * command does not take is a {@link ConfigException} that suggests the nearest key it does take.
 */
public final class SettingsLoader {
    private final Map<String, Setting<?>> known = new LinkedHashMap<>();
    private final Map<String, String> values = new LinkedHashMap<>();
    private Function<String, String> elsewhere = name -> null;

    /** @param settings every key of the command */
    public SettingsLoader(Collection<Setting<?>> settings) {
        for (Setting<?> s : settings) {
            known.put(s.name(), s);
            if (s.defaultValue() != null) {
                values.put(s.name(), s.defaultValue());
            }
        }
    }

    /** Names the other commands that take a key this one does not, for the error message. */
    public SettingsLoader elsewhere(Function<String, String> otherCommands) {
        this.elsewhere = otherCommands;
        return this;
    }

    /** The value a layer set so far, before parsing (the loader peeks at --model to pick its preset). */
    public String peek(Setting<?> s) {
        return values.get(s.name());
    }

    /** Applies a properties file (the user's config file or a preset). */
    public SettingsLoader file(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new ConfigException("config file=" + path + ": not found; pass an existing .properties file");
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new ConfigException("config file=" + path + ": unreadable (" + e.getMessage() + ")");
        }
        return apply(properties(p), "in " + path);
    }

    /** {@code p}'s entries, trimmed. */
    public static Map<String, String> properties(Properties p) {
        Map<String, String> m = new LinkedHashMap<>();
        p.stringPropertyNames().stream().sorted().forEach(n -> m.put(n, p.getProperty(n).trim()));
        return m;
    }

    /** Applies key/value pairs; {@code where} names their origin in errors ("on the command line"). */
    public SettingsLoader apply(Map<String, String> settings, String where) {
        for (Map.Entry<String, String> e : settings.entrySet()) {
            if (!known.containsKey(e.getKey())) {
                throw unknownKey(e.getKey(), where);
            }
            values.put(e.getKey(), e.getValue());
        }
        return this;
    }

    /** Applies the entries of {@code defaults} this command takes, ignoring the rest (a model's defaults). */
    public SettingsLoader defaults(Map<String, String> defaults) {
        defaults.forEach((k, v) -> {
            if (known.containsKey(k)) {
                values.put(k, v);
            }
        });
        return this;
    }

    public SettingsLoader set(Setting<?> s, String value) {
        return apply(Map.of(s.name(), value), "in code");
    }

    public Settings load() {
        return new Settings(values, known.keySet());
    }

    ConfigException unknownKey(String name, String where) {
        if (name.startsWith("spark.")) {
            return new ConfigException("unknown config key '" + name + "' " + where + ": Spark's own settings go to Spark: --conf " + name + "=...");
        }
        String others = elsewhere.apply(name);
        String hint = others != null
                ? "it is a key of " + others + ", not of this command (--help lists this command's keys)"
                : "did you mean '" + nearest(name, new ArrayList<>(known.keySet())) + "'? (scripts/kindling <command> --help lists every key)";
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

    /** Every key of {@code groups}, each once, in order. */
    @SafeVarargs
    public static List<Setting<?>> union(List<Setting<?>>... groups) {
        Set<Setting<?>> all = new LinkedHashSet<>();
        for (List<Setting<?>> g : groups) {
            all.addAll(g);
        }
        return List.copyOf(all);
    }
}
