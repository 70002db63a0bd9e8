package dev.kindling.core.schedule;

import dev.kindling.core.config.Choice;

/** {@code --schedule}: the learning-rate schedule's shape. */
public enum Schedule implements Choice {
    /** Per epoch: PyTorch's CosineAnnealingLR ({@code --t-max}, {@code --min-lr}). */
    COSINE,
    /** Per step: linear warmup, then cosine decay to a floor ({@code --warmup-steps}, {@code --total-steps}, {@code --min-lr-ratio}). */
    WARMUP_COSINE,
    /** Per step: PyTorch's OneCycleLR with {@code --lr} as the peak ({@code --total-steps}, {@code --pct-start}). */
    ONECYCLE,
    /** Per epoch: PyTorch's StepLR ({@code --step-size}, {@code --gamma}). */
    STEP,
    /** {@code --lr} throughout. */
    CONSTANT;

    /** Whether the schedule is keyed on the optimizer step (else on the epoch). */
    public boolean perStep() {
        return this == WARMUP_COSINE || this == ONECYCLE;
    }
}
