package dev.kindling.core.train;

import java.io.Serializable;

/**
 * Where an epoch stands, as the process that trains it sees it: what the driver's progress line shows.
 * Kindling's master sends rank 0's to the driver on Spark's executor heartbeats, hence serializable.
 *
 * @param epoch      1-based
 * @param step       steps of the epoch done (rounds of every replica, with several), those before a resume included
 * @param steps      steps of the whole epoch
 * @param samples    examples every replica trained in this epoch since this process started on it
 * @param loss       the epoch's running mean training loss over every replica; NaN before its first step
 * @param lr         the learning rate of the last step; NaN when the model reports none
 * @param lossScale  fp16's dynamic loss scale; NaN without fp16
 * @param seconds    seconds this process has trained the epoch
 * @param stepsTimed steps it trained in those seconds
 */
public record EpochProgress(int epoch, long step, long steps, long samples, double loss, double lr, double lossScale,
                            double seconds, long stepsTimed) implements Serializable {

    /**
     * {@code epoch=2/10 step=120/430 run=550/4300 loss=1.9300 lr=3.0e-04 [loss_scale=1024] samples/s=1.2k eta=4m10s};
     * the run's steps and ETA assume every epoch as long as this one and leave out validation.
     */
    public String line(int epochs) {
        long runStep = (epoch - 1L) * steps + step;
        long runSteps = (long) epochs * steps;
        double perStep = stepsTimed == 0 ? Double.NaN : seconds / stepsTimed;
        StringBuilder b = new StringBuilder(String.format("epoch=%d/%d step=%d/%d run=%d/%d loss=%.4f lr=%.1e",
                epoch, epochs, step, steps, runStep, runSteps, loss, lr));
        if (Double.isFinite(lossScale)) {
            b.append(String.format(" loss_scale=%.0f", lossScale));
        }
        return b.append(" samples/s=").append(Progress.human(samples / Math.max(seconds, 1e-9)))
                .append(" eta=").append(Progress.duration(perStep * (runSteps - runStep))).toString();
    }
}
