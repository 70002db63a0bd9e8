package dev.kindling.core.layer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.DL4JSameDiffMemoryMgr;
import org.deeplearning4j.nn.layers.samediff.SameDiffOutputLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The runtime of Kindling's SameDiff output layers (the GPT, the encoder classifier): DL4J's own,
 * except that a training step runs the loss graph's forward once, not twice.
 *
 * <p>DL4J's {@code ComputationGraph.computeGradientAndScore} backpropagates first (SameDiff's gradient
 * function runs the whole forward, then the backward) and then asks the output layer for the score,
 * which DL4J's SameDiff output layer answers by running the whole forward again, with fresh dropout
 * masks: for the GPT a quarter of a step's arithmetic (a forward on top of forward and backward), for a
 * number nobody differentiates. Here
 * backprop asks SameDiff for the loss together with the gradients ({@code calculateGradientsAndOutputs})
 * and keeps it; the score that follows for the same input and labels is that loss, so the reported
 * training loss is the one the gradient belongs to (as PyTorch's {@code loss.item()}). A score asked
 * for anything else (evaluation's {@code score(DataSet)}, new input or labels) runs the forward as before.
 *
 * <p>Under fp16 the graph's loss is multiplied by a placeholder for backprop
 * ({@link BackpropScoredOutputLayer#markLoss}); this layer feeds it {@code lossScale / B} and divides the
 * gradients it hands DL4J by the same ({@link LossScaled}).
 */
public final class ScoreFromBackpropLayer extends SameDiffOutputLayer implements LossScaled {
    /** The last backprop's loss, for the score that follows it. */
    private final BackpropLoss backpropLoss = new BackpropLoss();
    private final LayerLossScale lossScale;

    ScoreFromBackpropLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        this.lossScale = new LayerLossScale(conf.getLayer().getLayerName(),
                ((BackpropScoredOutputLayer) conf.getLayer()).getInitialLossScale());
    }

    @Override
    public LayerLossScale lossScale() {
        return lossScale;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        if (labels == null) {
            throw new IllegalStateException(layerConf().getLayerName() + ": backprop without labels (set them before computing gradients)");
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            if (sameDiff == null) {
                doInit();   // an output layer's forward is skipped in training, so the graph may not exist yet
            }
            if (sameDiff.getFunction("grad") == null) {
                sameDiff.createGradFunction(INPUT_KEY);
            }
        }
        // SameDiff's arrays go to DL4J's workspaces, as in DL4J's runtime: working memory for the graph's
        // intermediates, the activation-gradient workspace for what leaves the layer
        SameDiff grad = sameDiff.getFunction("grad");
        InferenceSession session = grad.getSessions().computeIfAbsent(Thread.currentThread().getId(),
                id -> SameDiff.getInferenceFactory().create(grad));
        boolean gradScopedOut = workspaceMgr.isScopedOut(ArrayType.ACTIVATION_GRAD);
        String gradWorkspace = workspaceMgr.getWorkspaceName(ArrayType.ACTIVATION_GRAD);
        session.setMmgr(new DL4JSameDiffMemoryMgr(
                workspaceMgr.getWorkspaceName(ArrayType.BP_WORKING_MEM), gradWorkspace,
                workspaceMgr.getConfiguration(ArrayType.BP_WORKING_MEM), workspaceMgr.getConfiguration(ArrayType.ACTIVATION_GRAD)));

        List<String> wrt = new ArrayList<>(paramTable.keySet());
        wrt.add(INPUT_KEY);
        Map<String, INDArray> placeholders = new HashMap<>();
        placeholders.put(INPUT_KEY, input);
        placeholders.put(LABELS_KEY, labels);
        double s = lossScale.perExample(input.size(0));
        if (lossScale.scales()) {
            placeholders.put(BackpropScoredOutputLayer.LOSS_SCALE, Nd4j.scalar(dataType, s));
        }
        OutAndGrad result = sameDiff.calculateGradientsAndOutputs(placeholders, List.of(outputVar.name()), wrt);

        Map<String, INDArray> grads = result.getGradients();
        Gradient g = new DefaultGradient();
        for (String key : paramTable.keySet()) {
            INDArray into = gradTable.get(key);
            INDArray computed = grads.get(key);
            into.assign(computed);
            if (s != 1.0) {
                into.divi(s);
            }
            g.gradientForVariable().put(key, into);
            if (computed.closeable()) {
                computed.close();   // a detached copy (workspaces scoped out): free it now, not at GC
            }
        }
        backpropLoss.keep(result.getOutputs().get(outputVar.name()).getDouble(0), input, labels);

        INDArray inputGradient = grads.get(INPUT_KEY);
        sameDiff.clearPlaceholders(true);   // no array of this step stays referenced by the graph
        sameDiff.clearOpInputs();
        if (!gradScopedOut && !gradWorkspace.equals(workspaceOf(inputGradient))) {
            inputGradient = workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, inputGradient);
        } else if (gradScopedOut && inputGradient.isAttached()) {
            inputGradient = inputGradient.detach();
        }
        if (s != 1.0) {
            inputGradient.divi(s);
        }
        return new Pair<>(g, inputGradient);
    }

    private static String workspaceOf(INDArray array) {
        MemoryWorkspace parent = array.data().getParentWorkspace();
        return parent == null ? null : parent.getId();
    }

    @Override
    public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
        Double loss = backpropLoss.take(input, labels);
        if (loss == null) {
            return super.computeScore(fullNetRegTerm, training, workspaceMgr);
        }
        return (loss + fullNetRegTerm) / input.size(0);   // DL4J's formula: the layer's loss is a sum over examples
    }
}
