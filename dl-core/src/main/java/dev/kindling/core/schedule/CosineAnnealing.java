package dev.kindling.core.schedule;

/**
 * PyTorch's {@code CosineAnnealingLR} in closed form:
 * {@code minLr + (baseLr - minLr) * (1 + cos(pi * t / tMax)) / 2} at epoch {@code t}.
 * Like PyTorch, the curve is not clamped after {@code tMax}: it rises again towards {@code baseLr}
 * (PyTorch's recursive form follows the same cosine), so a seed run of 100 epochs with
 * {@code T_max=50} sees the learning rate climb back in its second half.
 *
 * @param baseLr initial learning rate (&gt; 0)
 * @param tMax   half period in epochs (&gt;= 1)
 * @param minLr  floor reached at {@code tMax} (&gt;= 0, &lt;= baseLr)
 */
public record CosineAnnealing(double baseLr, int tMax, double minLr) {
    public CosineAnnealing {
        if (!(baseLr > 0) || Double.isInfinite(baseLr)) {
            throw new IllegalArgumentException("baseLr=" + baseLr + ": must be finite and > 0");
        }
        if (tMax < 1) {
            throw new IllegalArgumentException("tMax=" + tMax + ": must be >= 1");
        }
        if (!(minLr >= 0) || minLr > baseLr) {
            throw new IllegalArgumentException("minLr=" + minLr + ": must be >= 0 and <= baseLr=" + baseLr);
        }
    }

    /** The seed's {@code CosineAnnealingLR(AdamW(lr=1e-3), T_max=50)} (eta_min 0). */
    public static CosineAnnealing tutorial() {
        return new CosineAnnealing(1e-3, 50, 0.0);
    }

    /** @param epoch epochs completed so far (&gt;= 0); PyTorch's {@code last_epoch} after that many {@code step()}s */
    public double valueAt(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch=" + epoch + ": must be >= 0");
        }
        return minLr + (baseLr - minLr) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2;
    }
}
