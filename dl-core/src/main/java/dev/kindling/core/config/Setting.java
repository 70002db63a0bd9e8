package dev.kindling.core.config;

import java.util.function.Function;

/**
 * One configuration key: its name, type, default, valid values and meaning, declared once (beside
 * the record that holds its value) and nowhere else. Flags and config-file keys are one namespace:
 * {@code --epochs=3} and a line {@code epochs=3} set the same key. {@link #parse} is the only place a
 * key's string becomes a value; {@code --help} and the generated reference show {@link #doc},
 * {@link #valid} and {@link #defaultValue}.
 *
 * @param <T> the parsed type
 */
public final class Setting<T> {
    private final String name;
    private final String defaultValue;
    private final String doc;
    private final String valid;
    private final Function<String, T> parser;

    private Setting(String name, String defaultValue, String doc, String valid, Function<String, T> parser) {
        if (!name.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException("config key name=" + name + ": must be lower-case with dashes");
        }
        this.name = name;
        this.defaultValue = defaultValue;
        this.doc = doc;
        this.valid = valid;
        this.parser = parser;
        if (defaultValue != null && !defaultValue.isEmpty()) {
            parse(defaultValue); // a default outside its own range is a programming error, caught at class load
        }
    }

    /** An integer in {@code range}. */
    public static Setting<Integer> integer(String name, Integer defaultValue, Range range, String doc) {
        return new Setting<>(name, text(defaultValue), doc, range.text(),
                raw -> {
                    long v = checked(name, raw, range, parseLong(name, raw, doc), doc);
                    if (v != (int) v) {
                        throw new ConfigException(name + "=" + raw + ": too large; " + doc);
                    }
                    return (int) v;
                });
    }

    /** A long in {@code range}. */
    public static Setting<Long> longInteger(String name, Long defaultValue, Range range, String doc) {
        return new Setting<>(name, text(defaultValue), doc, range.text(), raw -> checked(name, raw, range, parseLong(name, raw, doc), doc));
    }

    /** A finite number in {@code range}. */
    public static Setting<Double> real(String name, String defaultValue, Range range, String doc) {
        return new Setting<>(name, defaultValue, doc, range.text(), raw -> {
            double v;
            try {
                v = Double.parseDouble(raw.trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(name + "=" + raw + ": not a number; " + doc);
            }
            if (!Double.isFinite(v) || !range.contains(v)) {
                throw new ConfigException(name + "=" + raw + ": must be " + range.text() + "; " + doc);
            }
            return v;
        });
    }

    /** One constant of {@code type}, by its {@link Choice#cliName}. */
    public static <E extends Enum<E> & Choice> Setting<E> choice(String name, E defaultValue, Class<E> type, String doc) {
        return new Setting<>(name, defaultValue == null ? null : defaultValue.cliName(), doc,
                String.join(" | ", Choice.names(type)), raw -> Choice.byName(type, name, raw.trim()));
    }

    /** {@code true} or {@code false}. */
    public static Setting<Boolean> flag(String name, boolean defaultValue, String doc) {
        return new Setting<>(name, Boolean.toString(defaultValue), doc, "true | false", raw -> switch (raw.trim()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ConfigException(name + "=" + raw + ": must be true or false");
        });
    }

    /** Free text (a URI, a prompt, an address). */
    public static Setting<String> string(String name, String defaultValue, String doc) {
        return new Setting<>(name, defaultValue, doc, "", raw -> raw);
    }

    /**
     * A value with its own parser (a Spark master URL, a list), which throws a {@link ConfigException}
     * naming the key for a bad value.
     */
    public static <T> Setting<T> parsed(String name, String defaultValue, String valid, String doc, Function<String, T> parser) {
        return new Setting<>(name, defaultValue, doc, valid, parser);
    }

    public String name() {
        return name;
    }

    /** The value when neither a preset, a file nor a flag sets it; null means unset. */
    public String defaultValue() {
        return defaultValue;
    }

    /** What the key means. */
    public String doc() {
        return doc;
    }

    /** Its valid values as {@code --help} shows them ({@code >= 1}, {@code a | b}), or empty. */
    public String valid() {
        return valid;
    }

    /** The value of {@code raw}, or a {@link ConfigException} naming this key and its valid values. */
    public T parse(String raw) {
        return parser.apply(raw);
    }

    @Override
    public String toString() {
        return "--" + name;
    }

    private static String text(Object defaultValue) {
        return defaultValue == null ? null : defaultValue.toString();
    }

    private static long parseLong(String name, String raw, String doc) {
        try {
            return Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(name + "=" + raw + ": not an integer; " + doc);
        }
    }

    private static long checked(String name, String raw, Range range, long v, String doc) {
        if (!range.contains(v)) {
            throw new ConfigException(name + "=" + raw + ": must be " + range.text() + "; " + doc);
        }
        return v;
    }
}
