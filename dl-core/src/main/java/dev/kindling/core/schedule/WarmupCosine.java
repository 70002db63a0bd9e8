package dev.kindling.core.schedule;

/**
 * The seed's {@code get_cosine_schedule_with_warmup} as a pure function of the optimizer step:
 * {@code baseLr * step / warmup} for {@code step < warmup}, then
 * {@code baseLr * max(minRatio, (1 + cos(pi * progress)) / 2)} with
 * {@code progress = (step - warmup) / max(1, total - warmup)}. Like the seed's {@code LambdaLR}, step 0
 * has rate 0 when there is a warmup, and past {@code total} the cosine rises again above the floor
 * (the seed's lambda is not clamped; its run stops at {@code total}).
 *
 * @param baseLr   peak learning rate (&gt; 0)
 * @param warmup   linear warmup steps (&gt;= 0)
 * @param total    steps of the whole schedule (&gt; warmup)
 * @param minRatio floor as a fraction of baseLr, in [0, 1] (the seed: 0.1)
 */
public record WarmupCosine(double baseLr, int warmup, int total, double minRatio) {
    public WarmupCosine {
        if (!(baseLr > 0) || Double.isInfinite(baseLr)) {
            throw new IllegalArgumentException("baseLr=" + baseLr + ": must be finite and > 0");
        }
        if (warmup < 0 || total <= warmup) {
            throw new IllegalArgumentException("warmup=" + warmup + ", total=" + total + ": need 0 <= warmup < total");
        }
        if (!(minRatio >= 0 && minRatio <= 1)) {
            throw new IllegalArgumentException("minRatio=" + minRatio + ": must be in [0, 1]");
        }
    }

    /** The seed's {@code (warmup_steps=100, total_steps=1000)} on {@code AdamW(lr=3e-4)}. */
    public static WarmupCosine tutorial() {
        return new WarmupCosine(3e-4, 100, 1000, 0.1);
    }

    /** @param step optimizer steps taken so far (&gt;= 0) */
    public double valueAt(int step) {
        if (step < warmup) {
            return baseLr * step / Math.max(1, warmup);
        }
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return baseLr * Math.max(minRatio, 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
}
