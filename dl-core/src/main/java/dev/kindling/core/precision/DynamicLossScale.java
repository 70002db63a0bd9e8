package dev.kindling.core.precision;

/**
 * PyTorch's {@code GradScaler} rule as a pure state machine: start at {@link #INITIAL}; a step whose
 * gradients are not all finite is skipped and the scale multiplied by {@link #BACKOFF}; after
 * {@link #GROWTH_INTERVAL} consecutive clean steps the scale is multiplied by {@link #GROWTH}.
 * Counters are kept for reporting. Not thread-safe: one instance per model replica.
 */
public final class DynamicLossScale {
    public static final double INITIAL = 65536.0; // 2^16
    public static final double BACKOFF = 0.5;
    public static final double GROWTH = 2.0;
    public static final int GROWTH_INTERVAL = 2000;
    /** After this many skipped steps in a row no scale helps: the gradients are not finite at all. */
    public static final int MAX_CONSECUTIVE_SKIPS = 64;

    private double scale;
    private int cleanSteps;
    private int consecutiveSkips;
    private long steps;
    private long skipped;
    private boolean lastSkipped;

    public DynamicLossScale(double initial) {
        if (!(initial > 0) || Double.isInfinite(initial)) {
            throw new IllegalArgumentException("initial loss scale=" + initial + ": must be finite and > 0");
        }
        this.scale = initial;
    }

    /**
     * Records one step whose gradients were (not) all finite and moves the scale.
     *
     * @return whether the step must be skipped
     * @throws NotFinite after {@link #MAX_CONSECUTIVE_SKIPS} skipped steps in a row
     */
    public boolean record(boolean finite) {
        steps++;
        lastSkipped = !finite;
        if (!finite) {
            skipped++;
            consecutiveSkips++;
            cleanSteps = 0;
            scale *= BACKOFF;
            if (consecutiveSkips >= MAX_CONSECUTIVE_SKIPS) {
                throw new NotFinite(consecutiveSkips, scale);
            }
            return true;
        }
        consecutiveSkips = 0;
        if (++cleanSteps >= GROWTH_INTERVAL) {
            cleanSteps = 0;
            scale *= GROWTH;
        }
        return false;
    }

    /** The scale the next backward pass multiplies its gradients by. */
    public double scale() {
        return scale;
    }

    public long steps() {
        return steps;
    }

    public long skipped() {
        return skipped;
    }

    public boolean lastSkipped() {
        return lastSkipped;
    }

    /** Clean steps since the last change of scale. */
    public int cleanSteps() {
        return cleanSteps;
    }

    /** Gradients stayed non-finite while the scale fell by 2^{@link #MAX_CONSECUTIVE_SKIPS}. */
    public static final class NotFinite extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotFinite(int skips, double scale) {
            super("fp16 loss scaling: " + skips + " steps in a row had non-finite gradients (loss scale now " + scale
                    + "); the model diverged or overflows fp16 in its forward pass: lower --lr, or train with --precision=bf16 or fp32");
        }
    }
}
