package dev.kindling.core.config;

import java.util.Arrays;
import java.util.List;

/**
 * An enum whose constants are chosen on the command line by a lower-case name with dashes
 * ({@code WARMUP_COSINE} is {@code warmup-cosine}). {@link Setting#choice} parses them.
 */
public interface Choice {

    /** The command-line name; by default the constant's name in lower case with dashes. */
    default String cliName() {
        return ((Enum<?>) this).name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    static <E extends Enum<E> & Choice> List<String> names(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(Choice::cliName).toList();
    }

    /** The constant named {@code name}, or a {@link ConfigException} listing the valid names. */
    static <E extends Enum<E> & Choice> E byName(Class<E> type, String key, String name) {
        for (E e : type.getEnumConstants()) {
            if (e.cliName().equals(name)) {
                return e;
            }
        }
        throw new ConfigException(key + "=" + name + ": must be one of " + String.join(", ", names(type)));
    }
}
