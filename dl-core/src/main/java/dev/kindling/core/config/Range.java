package dev.kindling.core.config;

import java.io.Serializable;

/**
 * The valid interval of a numeric {@link Setting}, declared once beside the key and shown by
 * {@code --help} and in every error about it, as Spark ML's {@code ParamValidators} do.
 *
 * @param low           lower bound ({@code -inf} when none)
 * @param lowInclusive  whether {@code low} itself is valid
 * @param high          upper bound ({@code +inf} when none)
 * @param highInclusive whether {@code high} itself is valid
 */
public record Range(double low, boolean lowInclusive, double high, boolean highInclusive) implements Serializable {

    public static Range any() {
        return new Range(Double.NEGATIVE_INFINITY, false, Double.POSITIVE_INFINITY, false);
    }

    /** {@code >= low}. */
    public static Range atLeast(double low) {
        return new Range(low, true, Double.POSITIVE_INFINITY, false);
    }

    /** {@code > low}. */
    public static Range above(double low) {
        return new Range(low, false, Double.POSITIVE_INFINITY, false);
    }

    /** {@code [low, high]}. */
    public static Range closed(double low, double high) {
        return new Range(low, true, high, true);
    }

    /** {@code [low, high)}: probabilities and decay rates. */
    public static Range closedOpen(double low, double high) {
        return new Range(low, true, high, false);
    }

    /** {@code (low, high)}. */
    public static Range open(double low, double high) {
        return new Range(low, false, high, false);
    }

    /** {@code (low, high]}: fractions that may be whole. */
    public static Range openClosed(double low, double high) {
        return new Range(low, false, high, true);
    }

    public boolean contains(double v) {
        boolean aboveLow = lowInclusive ? v >= low : v > low;
        boolean belowHigh = highInclusive ? v <= high : v < high;
        return aboveLow && belowHigh;
    }

    /** As {@code --help} shows it: {@code >= 1}, {@code > 0}, {@code [0, 1)}, or empty for any value. */
    public String text() {
        boolean hasLow = low != Double.NEGATIVE_INFINITY;
        boolean hasHigh = high != Double.POSITIVE_INFINITY;
        if (hasLow && hasHigh) {
            return (lowInclusive ? "[" : "(") + number(low) + ", " + number(high) + (highInclusive ? "]" : ")");
        }
        if (hasLow) {
            return (lowInclusive ? ">= " : "> ") + number(low);
        }
        if (hasHigh) {
            return (highInclusive ? "<= " : "< ") + number(high);
        }
        return "";
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
