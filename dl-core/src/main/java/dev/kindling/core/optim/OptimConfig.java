package dev.kindling.core.optim;

import dev.kindling.core.config.Range;
import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import java.io.Serializable;
import java.util.List;

/**
 * The optimizer and the craft around its step: {@code --optimizer} and its coefficients, weight
 * decay, accumulation, clipping and the weight EMA. The learning rate is {@code ScheduleConfig}'s.
 *
 * @param optimizer   the update rule
 * @param momentum    sgd, nesterov, muon; null: the optimizer's default
 * @param beta1       adam, adamw, lion; null: the optimizer's default (a model's own default may set it)
 * @param beta2       as beta1
 * @param weightDecay decay coefficient, decoupled or L2 as {@link Optimizer#coupledDecay} says
 * @param accumulate  minibatches per optimizer step
 * @param clipNorm    global gradient-norm clip; 0 disables
 * @param emaDecay    weight EMA decay; 0 disables
 */
public record OptimConfig(Optimizer optimizer, Double momentum, Double beta1, Double beta2, double weightDecay, int accumulate,
                          double clipNorm, double emaDecay) implements Serializable {
    public static final Setting<Optimizer> OPTIMIZER = Setting.choice("optimizer", Optimizer.ADAMW, Optimizer.class,
            "sgd (momentum) | nesterov | adam (L2 weight decay) | adamw (decoupled decay) | lion | muon (hidden dense weights; AdamW for the rest)");
    public static final Setting<Double> MOMENTUM = Setting.real("momentum", null, Range.closedOpen(0, 1),
            "sgd, nesterov, muon: momentum (unset: 0.9; muon 0.95)");
    public static final Setting<Double> BETA1 = Setting.real("beta1", null, Range.closedOpen(0, 1),
            "adam, adamw, lion: first-moment decay (unset: the model's default, else 0.9)");
    public static final Setting<Double> BETA2 = Setting.real("beta2", null, Range.closedOpen(0, 1),
            "adam, adamw, lion: second-moment decay (unset: the model's default, gpt 0.95, else 0.999; lion 0.99)");
    public static final Setting<Double> WEIGHT_DECAY = Setting.real("weight-decay", "1e-4", Range.atLeast(0),
            "weight decay coefficient: decoupled for adamw, lion, muon; L2 in the gradient for sgd, nesterov, adam (gpt's default: 0.1, the seed's)");
    public static final Setting<Integer> ACCUMULATE = Setting.integer("accumulate", 1, Range.atLeast(1),
            "gradient accumulation: minibatches per optimizer step; the Spark masters exchange updates once per K minibatches");
    public static final Setting<Double> CLIP_NORM = Setting.real("clip-norm", "1.0", Range.atLeast(0),
            "clip gradients by their global L2 norm; 0 disables");
    public static final Setting<Double> EMA_DECAY = Setting.real("ema-decay", "0", Range.closedOpen(0, 1),
            "exponential moving average of the weights, updated after every optimizer step (0 disables; the seed uses 0.9999); evaluated and saved as ema-model.zip");

    public static final List<Setting<?>> SETTINGS = List.of(OPTIMIZER, MOMENTUM, BETA1, BETA2, WEIGHT_DECAY, ACCUMULATE, CLIP_NORM, EMA_DECAY);

    public static OptimConfig from(Settings s) {
        return new OptimConfig(s.require(OPTIMIZER), s.get(MOMENTUM), s.get(BETA1), s.get(BETA2), s.require(WEIGHT_DECAY),
                s.require(ACCUMULATE), s.require(CLIP_NORM), s.require(EMA_DECAY));
    }

    /** The same with one minibatch per step (lr-find and doctor step every minibatch). */
    public OptimConfig withoutAccumulation() {
        return new OptimConfig(optimizer, momentum, beta1, beta2, weightDecay, 1, clipNorm, emaDecay);
    }
}
