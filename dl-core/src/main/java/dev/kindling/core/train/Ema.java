package dev.kindling.core.train;

import java.util.Objects;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The seed's {@code EMA}: a shadow copy of every parameter (and, as the seed's {@code state_dict}
 * does, BatchNorm's running statistics, which DL4J keeps among the parameters), started at the
 * initial weights and moved after every optimizer step:
 * {@code shadow = decay * shadow + (1 - decay) * params}. The shadow array is updated in place, so
 * the loop state that checkpoints it always holds the current one.
 */
public final class Ema {
    private final double decay;
    private final INDArray shadow;

    /** @param shadow the starting shadow (the initial parameters, or a checkpoint's), used in place */
    public Ema(double decay, INDArray shadow) {
        if (!(decay > 0 && decay < 1)) {
            throw new IllegalArgumentException("decay=" + decay + ": must be in (0, 1)");
        }
        this.decay = decay;
        this.shadow = Objects.requireNonNull(shadow, "shadow");
    }

    /** Starts from the network's current parameters (a copy). */
    public static Ema of(ComputationGraph net, double decay) {
        return new Ema(decay, net.params().dup());
    }

    public double decay() {
        return decay;
    }

    public INDArray shadow() {
        return shadow;
    }

    /** One optimizer step. */
    public void update(INDArray params) {
        shadow.muli(decay).addi(params.mul(1 - decay));
    }

    /**
     * {@code steps} optimizer steps seen only at their end (the Spark masters return parameters once
     * per {@code fitPaths}): {@code shadow = decay^steps * shadow + (1 - decay^steps) * params}, exact
     * when the parameters did not move in between and an approximation otherwise.
     */
    public void updateAfter(INDArray params, long steps) {
        double d = Math.pow(decay, steps);
        shadow.muli(d).addi(params.mul(1 - d));
    }

    /** A copy of {@code net} with the shadow as its parameters, for evaluation and saving. */
    public ComputationGraph model(ComputationGraph net) {
        ComputationGraph copy = net.clone();
        copy.setParams(shadow.dup());
        return copy;
    }
}
