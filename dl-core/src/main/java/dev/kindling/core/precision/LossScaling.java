package dev.kindling.core.precision;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import dev.kindling.core.layer.LossScaled;
import dev.kindling.core.optim.GlobalNormClipping;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * Dynamic loss scaling for fp16 ({@link DynamicLossScale}'s rule), as a listener so that it runs
 * wherever DL4J trains: the local loop and every Spark worker replica. DL4J calls
 * {@link #onGradientCalculation} after back-propagation and before the updater; there the whole fp32
 * gradient is checked. If any value is not finite the step is skipped: the gradient is set to NaN
 * everywhere (running statistics get a zero update), which {@link SkipNonFinite} (wrapping every updater of an fp16 model) turns into no
 * update and untouched updater state, and the scale is halved. Then the new scale is handed to every
 * {@link LossScaled} layer of the model (the {@link HalfPrecisionLayer} wrappers, the transformers' graphs, the batched LSTM, seq2seq's encoder-decoder). Add it before any listener that reads gradients
 * (clipping).
 *
 * <p>State is per model instance (each replica of a shared-master worker has its own), kept in a
 * static weak map because DL4J may share one listener instance between replicas.
 */
public final class LossScaling extends BaseTrainingListener implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Map<Model, DynamicLossScale> STATES = Collections.synchronizedMap(new WeakHashMap<>());

    @Override
    public void onGradientCalculation(Model model) {
        List<LossScaled> layers = scaledLayers(model);
        if (layers.isEmpty()) {
            return;
        }
        DynamicLossScale state = STATES.computeIfAbsent(model, m -> new DynamicLossScale(layers.get(0).lossScale().get()));
        INDArray gradient = model.gradient().gradient();
        if (state.record(allFinite(gradient))) {
            gradient.assign(0); // running statistics (BatchNorm's) skip this step too
            for (INDArray part : GlobalNormClipping.lossGradients(model)) {
                part.assign(Double.NaN);
            }
        }
        for (LossScaled l : layers) {
            l.lossScale().set(state.scale());
        }
    }

    /** The loss-scaling state of {@code model}, or null when it has not trained a step with fp16 layers. */
    public static DynamicLossScale stateOf(Model model) {
        return STATES.get(model);
    }

    /** Whether every value of {@code a} is finite. */
    public static boolean allFinite(INDArray a) {
        return Nd4j.getExecutioner().exec(new MatchCondition(a, Conditions.notFinite())).getLong(0) == 0;
    }

    /** The layers of {@code model} whose backward runs loss-scaled, in DL4J's layer order. */
    public static List<LossScaled> scaledLayers(Model model) {
        Layer[] all = model instanceof ComputationGraph g ? g.getLayers() : model instanceof MultiLayerNetwork n ? n.getLayers() : new Layer[0];
        List<LossScaled> out = new ArrayList<>();
        for (Layer l : all) {
            if (l instanceof LossScaled s && s.lossScale().scales()) {
                out.add(s);
            }
        }
        return out;
    }
}
