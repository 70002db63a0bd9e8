package dev.kindling.core.optim;

import dev.kindling.core.config.Choice;

/** {@code --optimizer}: the update rule, and how weight decay enters it. */
public enum Optimizer implements Choice {
    /** SGD with (heavy-ball) momentum; L2 weight decay in the gradient, as PyTorch's {@code weight_decay}. */
    SGD,
    /** SGD with Nesterov momentum; L2 weight decay. */
    NESTEROV,
    /** Adam with L2 weight decay in the gradient (PyTorch's {@code Adam(weight_decay=)}). */
    ADAM,
    /** Adam with decoupled weight decay. */
    ADAMW,
    /** Lion (sign of an interpolated momentum), decoupled decay. */
    LION,
    /** Muon (orthogonalised momentum) on hidden dense weights, AdamW for the rest. */
    MUON;

    /** L2 in the gradient (PyTorch's coupled {@code weight_decay}) rather than decoupled decay. */
    public boolean coupledDecay() {
        return this == SGD || this == NESTEROV || this == ADAM;
    }
}
