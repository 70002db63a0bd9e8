package dev.kindling.core.config;

import java.io.Serializable;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The resolved settings of one command, as {@link SettingsLoader} layered them: every key the
 * command takes, with its string value. Records ({@code TrainConfig} and its parts) read it through
 * {@link #get}, which parses with the key's own {@link Setting}; nothing else reads strings. Reading
 * a key the command does not take is a programming error: its {@code --help} would not list it.
 */
public final class Settings implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<String, String> values;
    private final Set<String> known;
    /** Shared with the copies {@link #with} makes, so that a job deriving settings still counts its reads. */
    private final Set<String> read;

    Settings(Map<String, String> values, Set<String> known) {
        this(values, known, Collections.synchronizedSet(new LinkedHashSet<>()));
    }

    private Settings(Map<String, String> values, Set<String> known, Set<String> read) {
        this.values = Collections.unmodifiableMap(new TreeMap<>(values));
        this.known = Set.copyOf(known);
        this.read = read;
    }

    /** Only the defaults of {@code settings}: for tests and for records built in code. */
    public static Settings defaults(Collection<Setting<?>> settings) {
        return new SettingsLoader(settings).load();
    }

    /** The value, or null when the key is unset and has no default. */
    public <T> T get(Setting<T> s) {
        String raw = raw(s);
        return raw == null || raw.isEmpty() ? null : s.parse(raw);
    }

    /** The value, or a ConfigException naming the key and how to pass it. */
    public <T> T require(Setting<T> s) {
        T v = get(s);
        if (v == null) {
            throw new ConfigException(s.name() + " is required: " + s.doc() + "; pass --" + s.name() + "=...");
        }
        return v;
    }

    public boolean has(Setting<?> s) {
        String raw = raw(s);
        return raw != null && !raw.isEmpty();
    }

    /** A copy with one key changed (a job deriving another job's settings, e.g. the demo's run directory). */
    public Settings with(Setting<?> s, String value) {
        raw(s);
        Map<String, String> m = new LinkedHashMap<>(values);
        m.put(s.name(), value);
        return new Settings(m, known, read);
    }

    /** The names of the keys read so far, for the test that every read key is in {@code --help}. */
    public Set<String> keysRead() {
        synchronized (read) {
            return Set.copyOf(read);
        }
    }

    /** {@code key=value} lines, sorted: config.properties of a run and inside its model.zip. */
    public String toProperties() {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString();
    }

    private String raw(Setting<?> s) {
        if (!known.contains(s.name())) {
            throw new IllegalStateException("--" + s.name() + " is read but is not a key of this command, so its --help would not list it;"
                    + " add the record that declares it to the command");
        }
        read.add(s.name());
        return values.get(s.name());
    }
}
