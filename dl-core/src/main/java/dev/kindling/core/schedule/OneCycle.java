package dev.kindling.core.schedule;

/**
 * PyTorch's {@code OneCycleLR} (cosine annealing, two phases) as a pure function of the optimizer
 * step: from {@code maxLr / divFactor} up to {@code maxLr} over the first {@code pctStart * total - 1}
 * steps, then down to {@code maxLr / (divFactor * finalDivFactor)} at step {@code total - 1}; each
 * phase follows {@code end + (start - end) * (1 + cos(pi * t)) / 2}. Past the end it stays at the floor
 * (PyTorch raises instead).
 *
 * @param maxLr          peak rate (&gt; 0)
 * @param total          steps (&gt;= 2)
 * @param pctStart       fraction of steps rising, in (0, 1) (PyTorch: 0.3)
 * @param divFactor      initial rate is maxLr / divFactor (PyTorch: 25)
 * @param finalDivFactor final rate is initial / finalDivFactor (PyTorch: 1e4)
 */
public record OneCycle(double maxLr, int total, double pctStart, double divFactor, double finalDivFactor) {
    public OneCycle {
        if (!(maxLr > 0) || Double.isInfinite(maxLr)) {
            throw new IllegalArgumentException("maxLr=" + maxLr + ": must be finite and > 0");
        }
        if (total < 2) {
            throw new IllegalArgumentException("total=" + total + ": must be >= 2");
        }
        if (!(pctStart > 0 && pctStart < 1)) {
            throw new IllegalArgumentException("pctStart=" + pctStart + ": must be in (0, 1)");
        }
        if (!(divFactor > 0) || !(finalDivFactor > 0)) {
            throw new IllegalArgumentException("divFactor=" + divFactor + ", finalDivFactor=" + finalDivFactor + ": must be > 0");
        }
    }

    /** PyTorch's defaults for a peak rate and step count. */
    public static OneCycle of(double maxLr, int total, double pctStart) {
        return new OneCycle(maxLr, total, pctStart, 25, 1e4);
    }

    public double valueAt(int step) {
        double initial = maxLr / divFactor;
        double min = initial / finalDivFactor;
        double upEnd = pctStart * total - 1;
        double downEnd = total - 1;
        double s = Math.min(step, downEnd);
        if (s <= upEnd) {
            return anneal(initial, maxLr, s / upEnd);
        }
        return anneal(maxLr, min, (s - upEnd) / (downEnd - upEnd));
    }

    private static double anneal(double start, double end, double pct) {
        return end + (start - end) / 2.0 * (Math.cos(Math.PI * pct) + 1);
    }
}
