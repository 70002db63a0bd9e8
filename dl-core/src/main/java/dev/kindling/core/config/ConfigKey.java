package dev.kindling.core.config;

/**
 * One configuration key. Flags and config-file keys are one namespace: {@code --epochs=3} and a
 * line {@code epochs=3} in a properties file set the same key.
 *
 * @param name         lower-case with dashes, never starting with {@code spark.}
 * @param defaultValue the value when neither file nor flag sets it; {@code null} means "no default"
 * @param doc          what it means and its valid range, shown by {@code --help}
 */
public record ConfigKey(String name, String defaultValue, String doc) {
    public ConfigKey {
        if (!name.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException("config key name=" + name + ": must be lower-case with dashes");
        }
    }
}
