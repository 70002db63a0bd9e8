package dev.kindling.core.schedule;

/**
 * PyTorch's {@code StepLR}: {@code baseLr * gamma^floor(epoch / stepSize)}.
 *
 * @param baseLr   initial rate (&gt; 0)
 * @param stepSize epochs between drops (&gt;= 1)
 * @param gamma    factor per drop, in (0, 1]
 */
public record StepDecay(double baseLr, int stepSize, double gamma) {
    public StepDecay {
        if (!(baseLr > 0) || Double.isInfinite(baseLr)) {
            throw new IllegalArgumentException("baseLr=" + baseLr + ": must be finite and > 0");
        }
        if (stepSize < 1) {
            throw new IllegalArgumentException("stepSize=" + stepSize + ": must be >= 1");
        }
        if (!(gamma > 0 && gamma <= 1)) {
            throw new IllegalArgumentException("gamma=" + gamma + ": must be in (0, 1]");
        }
    }

    public double valueAt(int epoch) {
        return baseLr * Math.pow(gamma, Math.floorDiv(epoch, stepSize));
    }
}
