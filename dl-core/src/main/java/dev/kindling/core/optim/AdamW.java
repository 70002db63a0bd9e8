package dev.kindling.core.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * PyTorch's {@code AdamW} (decoupled weight decay, Loshchilov &amp; Hutter) on DL4J: {@link Adam} plus
 * DL4J's {@code WeightDecay(coeff, applyLR=true)} regularization on weights <em>and</em> biases.
 * DL4J applies {@code WeightDecay} after the updater ({@code ApplyStep.POST_UPDATER} in
 * {@code UpdaterBlock.update}): the update becomes {@code adamStep + lr * wd * p}, then
 * {@code p -= update}, which is {@code p <- p - lr*wd*p - adamStep}, AdamW's rule. The decay never
 * enters Adam's moments (that would be Adam + L2). PyTorch's {@code AdamW(model.parameters())}
 * decays every parameter, so biases and {@code LayerNorm} gain/bias are decayed as well (a
 * SameDiff layer takes the network's weight regularization for its weight params and the bias
 * regularization for its bias params).
 *
 * <p>One difference from PyTorch remains, in Adam itself: DL4J's native {@code adam_updater} computes
 * {@code lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)}, i.e. {@code lr * mhat / (sqrt(vhat) + eps/sqrt(1-b2^t))}
 * (Kingma &amp; Ba's "efficient" ordering). PyTorch adds eps to {@code sqrt(vhat)}. The effective eps
 * is larger early on (31.6x at t=1), which only matters for gradients near eps.
 *
 * <p>DL4J 1.0.0-M2.1 bug: a network-wide {@code weightDecay} is put on every {@code BaseLayer}
 * (Dense, Output, ...) <em>twice</em>: {@code NeuralNetConfiguration.Builder.copyConfigToLayer}
 * copies the global list, then {@code LayerValidation.configureBaseLayer} appends every global
 * regularization that is not L1/L2 again, so the decay is applied twice per step. SameDiff layers
 * get it once. Always pass the built configuration through {@link #dropDuplicateDecay}.
 */
public final class AdamW {
    /** The seed's {@code AdamW(lr=1e-3, weight_decay=1e-4)}; betas and eps are PyTorch's defaults. */
    public static final double BETA1 = 0.9;
    public static final double BETA2 = 0.999;
    public static final double EPSILON = 1e-8;

    /**
     * Sets the updater and the decoupled weight decay on {@code builder} and returns it. Pass the
     * configuration built from it through {@link #dropDuplicateDecay}.
     *
     * @param builder     global network configuration; its L2 regularization is removed by DL4J
     * @param lr          learning rate schedule (e.g. a cosine schedule)
     * @param weightDecay decoupled decay coefficient ({@code >= 0}; 0 means plain Adam)
     */
    public static NeuralNetConfiguration.Builder configure(NeuralNetConfiguration.Builder builder, ISchedule lr,
                                                           double weightDecay) {
        Objects.requireNonNull(builder, "builder");
        Objects.requireNonNull(lr, "lr");
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weightDecay=" + weightDecay + ": must be finite and >= 0");
        }
        return decoupledDecay(builder.updater(adam(lr)), weightDecay);
    }

    /** Decoupled decay ({@code WeightDecay(wd, applyLR=true)}) on weights and biases; 0 adds nothing. */
    public static NeuralNetConfiguration.Builder decoupledDecay(NeuralNetConfiguration.Builder builder, double weightDecay) {
        return weightDecay > 0 ? builder.weightDecay(weightDecay, true).weightDecayBias(weightDecay, true) : builder;
    }

    /** The Adam half of AdamW: PyTorch's betas and eps, the given learning-rate schedule. */
    public static Adam adam(ISchedule lr) {
        Adam adam = new Adam(Objects.requireNonNull(lr, "lr"));
        adam.setBeta1(BETA1);
        adam.setBeta2(BETA2);
        adam.setEpsilon(EPSILON);
        return adam;
    }

    /** As {@link #configure(NeuralNetConfiguration.Builder, ISchedule, double)} with a constant rate. */
    public static NeuralNetConfiguration.Builder configure(NeuralNetConfiguration.Builder builder, double lr,
                                                           double weightDecay) {
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("lr=" + lr + ": must be finite and > 0");
        }
        return configure(builder, new FixedSchedule(lr), weightDecay);
    }

    /**
     * Removes the repeated {@code WeightDecay} entries DL4J M2.1 puts on each {@code BaseLayer}
     * (see the class comment); returns {@code conf}.
     */
    public static ComputationGraphConfiguration dropDuplicateDecay(ComputationGraphConfiguration conf) {
        return forEachLayer(conf, AdamW::dropDuplicateDecay);
    }

    /** Applies {@code edit} to the layer configuration of every layer vertex of {@code conf}; returns {@code conf}. */
    static ComputationGraphConfiguration forEachLayer(ComputationGraphConfiguration conf, java.util.function.Consumer<Layer> edit) {
        for (GraphVertex vertex : conf.getVertices().values()) {
            if (vertex instanceof LayerVertex lv) {
                edit.accept(lv.getLayerConf().getLayer());
            }
        }
        return conf;
    }

    /** As {@link #dropDuplicateDecay(ComputationGraphConfiguration)}, for a {@code MultiLayerNetwork}. */
    public static MultiLayerConfiguration dropDuplicateDecay(MultiLayerConfiguration conf) {
        for (NeuralNetConfiguration layerConf : conf.getConfs()) {
            dropDuplicateDecay(layerConf.getLayer());
        }
        return conf;
    }

    private static void dropDuplicateDecay(Layer layer) {
        if (layer instanceof BaseLayer base) {
            base.setRegularization(withoutRepeatedDecay(base.getRegularization()));
            base.setRegularizationBias(withoutRepeatedDecay(base.getRegularizationBias()));
        }
    }

    private static List<Regularization> withoutRepeatedDecay(List<Regularization> list) {
        if (list == null) {
            return null;
        }
        List<Regularization> out = new ArrayList<>();
        for (Regularization r : list) {
            if (!(r instanceof WeightDecay && out.contains(r))) {
                out.add(r);
            }
        }
        return out;
    }

    private AdamW() {
    }
}
