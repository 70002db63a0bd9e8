package dev.kindling.core.layer;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's {@link OutputLayer} (same configuration, parameters, loss functions and JSON fields), whose training step runs
 * its forward once and its three products through {@link Gemm}.
 *
 * <p>Why: DL4J's output layer backpropagates from one forward pass and then, asked for the step's score, runs the
 * forward again for a number nobody differentiates; its products are ND4J
 * {@code mmul}s (~19 us each at the seed MLP's sizes against ~5 us through BLAS directly, {@link Gemm}) and its bias
 * an {@code addiRowVector}. At the seed MLP's size (a [64, 64] x [64, 1] layer, ~1 ms a step) those are a tenth of the
 * step. Here backprop computes the loss from its own forward and keeps it; the score that follows for the same input
 * and labels is that loss (as {@link ScoreFromBackpropLayer} does for the SameDiff output layers), the bias is a
 * product of a ones column with it, and anything else (evaluation's score, new input or labels) runs as DL4J's.
 */
public final class ForwardOnceOutputLayer extends OutputLayer {
    private static final long serialVersionUID = 1L;
    private static final String W = DefaultParamInitializer.WEIGHT_KEY;
    private static final String B = DefaultParamInitializer.BIAS_KEY;

    /** For JSON. */
    public ForwardOnceOutputLayer() {
    }

    /** The twin of a built DL4J {@code OutputLayer} configuration: every field copied. */
    public static ForwardOnceOutputLayer of(OutputLayer layer) {
        return LayerWiring.copyFields(OutputLayer.class, layer, new ForwardOnceOutputLayer());
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray paramsView, boolean initializeParams, DataType networkDataType) {
        return LayerWiring.wire(new Impl(conf, networkDataType), initializer(), conf, listeners, layerIndex, paramsView,
                initializeParams);
    }

    /** The layer: DL4J's OutputLayer with the forward, backprop and score replaced. */
    static final class Impl extends org.deeplearning4j.nn.layers.OutputLayer {
        /** The last backprop's loss, for the score that follows it. */
        private final BackpropLoss backpropLoss = new BackpropLoss();
        /** Forward passes run (products with the weights), for the test that a training step runs one. */
        long forwardPasses;
        /** [rows, 1] of ones, outside every workspace: the bias as {@code ones x b}, its gradient as {@code ones^T x delta}. */
        private INDArray ones;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        private INDArray ones(long rows, DataType type) {
            if (ones == null || ones.size(0) != rows || ones.dataType() != type) {
                try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                    ones = Nd4j.ones(type, rows, 1);
                }
            }
            return ones;
        }

        /** The bias (or its gradient view), [nOut] in M2.1, as the [1, nOut] row the products take: a view of the same memory. */
        private static INDArray row(INDArray bias) {
            return bias.rank() == 2 ? bias : bias.reshape(1, bias.length());
        }

        @Override
        protected Pair<INDArray, INDArray> preOutputWithPreNorm(boolean training, boolean forBackprop, LayerWorkspaceMgr mgr) {
            assertInputSet(forBackprop);
            applyDropOutIfNecessary(training, mgr);
            INDArray w = getParamWithNoise(W, training, mgr);
            if (input.rank() != 2 || input.size(1) != w.size(0)) {
                return super.preOutputWithPreNorm(training, forBackprop, mgr);   // DL4J's shape errors
            }
            forwardPasses++;
            INDArray x = input.castTo(w.dataType());
            INDArray z = mgr.createUninitialized(ArrayType.ACTIVATIONS, w.dataType(), new long[]{x.size(0), w.size(1)}, 'c');
            double beta = 0.0;
            if (hasBias()) {
                Gemm.gemm(ones(x.size(0), w.dataType()), row(getParamWithNoise(B, training, mgr)), z, false, false, 1.0, 0.0);
                beta = 1.0;
            }
            Gemm.gemm(x, w, z, false, false, 1.0, beta);                          // (b on every row) + x W
            if (maskArray != null) {
                applyMask(z);
            }
            return new Pair<>(z, z);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
            assertInputSet(true);
            INDArray z = preOutput2d(true, mgr);
            INDArray labels2d = getLabels2d(mgr, ArrayType.BP_WORKING_MEM);
            var loss = layerConf().getLossFn();
            var activation = layerConf().getActivationFn();
            // the score first: DL4J's binary cross-entropy computes its gradient with z's activation in place of z
            backpropLoss.keep(loss.computeScore(labels2d, z, activation, maskArray, false), input, labels);
            INDArray delta = loss.computeGradient(labels2d, z, activation, maskArray);           // dL/dz, [B, nOut]

            Gradient gradient = new DefaultGradient();
            INDArray x = input.castTo(delta.dataType());
            INDArray weightGradient = gradientViews.get(W);
            Gemm.gemm(x, delta, weightGradient, true, false, 1.0, 0.0);                       // x^T delta
            gradient.gradientForVariable().put(W, weightGradient);
            if (hasBias()) {
                INDArray biasGradient = gradientViews.get(B);
                Gemm.gemm(ones(delta.size(0), delta.dataType()), delta, row(biasGradient), true, false, 1.0, 0.0);  // column sums
                gradient.gradientForVariable().put(B, biasGradient);
            }
            INDArray w = getParamWithNoise(W, true, mgr);
            INDArray inputGradient = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, delta.dataType(),
                    new long[]{delta.size(0), w.size(0)}, 'c');
            Gemm.gemm(delta, w, inputGradient, false, true, 1.0, 0.0);                         // delta W^T
            return new Pair<>(gradient, inputGradient);
        }

        @Override
        public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr mgr) {
            Double kept = backpropLoss.take(input, labels);
            if (kept == null) {
                return super.computeScore(fullNetRegTerm, training, mgr);
            }
            double s = kept + fullNetRegTerm;                                       // DL4J's formula
            if (conf().isMiniBatch()) {
                s /= getInputMiniBatchSize();
            }
            this.score = s;
            return s;
        }
    }
}
