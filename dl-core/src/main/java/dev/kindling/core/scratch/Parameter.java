package dev.kindling.core.scratch;

import java.util.Objects;

/**
 * A live view of one parameter tensor and its gradient buffer: writing to {@code value} changes the
 * model, and {@code gradient} is overwritten by every backward pass.
 *
 * <pre>
 * W   value [in, out]   gradient [in, out]
 * b   value [1, out]    gradient [1, out]
 * </pre>
 *
 * @param name     seed-style name, e.g. {@code layers.0.W} (non-blank)
 * @param value    the parameter itself (rectangular, same shape as {@code gradient})
 * @param gradient d loss / d value after the last backward pass
 */
public record Parameter(String name, double[][] value, double[][] gradient) {
    public Parameter {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(gradient, "gradient");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name=\"" + name + "\": must not be blank");
        }
        if (value.length == 0 || value.length != gradient.length
                || value[0].length != gradient[0].length) {
            throw new IllegalArgumentException("parameter " + name + ": value and gradient must have"
                    + " the same non-empty shape");
        }
    }

    /** Number of scalar entries (rows * columns). */
    public int size() {
        return value.length * value[0].length;
    }
}
