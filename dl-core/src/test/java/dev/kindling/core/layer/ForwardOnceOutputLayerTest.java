package dev.kindling.core.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.optim.NetDefaults;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link ForwardOnceOutputLayer} computes DL4J's {@link OutputLayer}: outputs, the training step's score, every
 * gradient (its own and the layer below's, through the input gradient), and evaluation's score, for the two heads
 * Kindling builds (one sigmoid logit with binary cross-entropy, softmax with cross-entropy), in double precision.
 */
@ExtendWith(DoublePrecision.class)
class ForwardOnceOutputLayerTest {
    private static final int IN = 5;
    private static final int HIDDEN = 6;

    private static ComputationGraph net(int classes, boolean forwardOnce) {
        OutputLayer out = new OutputLayer.Builder(classes == 1 ? LossFunctions.LossFunction.XENT : LossFunctions.LossFunction.MCXENT)
                .activation(classes == 1 ? Activation.SIGMOID : Activation.SOFTMAX).nIn(HIDDEN).nOut(classes).build();
        ComputationGraph g = new ComputationGraph(NetDefaults.gradientCheck(3).builder().graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(IN))
                .addLayer("dense", new DenseLayer.Builder().nIn(IN).nOut(HIDDEN).activation(Activation.TANH).build(), "in")
                .addLayer("out", forwardOnce ? ForwardOnceOutputLayer.of(out) : out, "dense")
                .setOutputs("out").build());
        g.init();
        return g;
    }

    private static INDArray labels(int classes, int rows) {
        if (classes == 1) {
            return Nd4j.createFromArray(new double[][] {{1}, {0}, {1}, {1}, {0}, {0}, {1}}).get(
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(0, rows), org.nd4j.linalg.indexing.NDArrayIndex.all());
        }
        INDArray y = Nd4j.zeros(DataType.DOUBLE, rows, classes);
        for (int i = 0; i < rows; i++) {
            y.putScalar(i, i % classes, 1.0);
        }
        return y;
    }

    @Test
    void sameOutputsScoreAndGradientsAsDl4jsOutputLayer() {
        for (int classes : new int[] {1, 3}) {
            ComputationGraph dl4j = net(classes, false);
            ComputationGraph once = net(classes, true);
            once.setParams(dl4j.params().dup());
            INDArray x = Nd4j.rand(DataType.DOUBLE, 7, IN).subi(0.5).muli(3);
            INDArray y = labels(classes, 7);
            String what = classes == 1 ? "sigmoid + binary cross-entropy" : "softmax + cross-entropy";
            assertEquals(0, dl4j.outputSingle(x).distance2(once.outputSingle(x)), 1e-14, what + ": outputs");
            for (ComputationGraph g : new ComputationGraph[] {dl4j, once}) {
                g.setInputs(x);
                g.setLabels(y);
                g.computeGradientAndScore();
            }
            assertTrue(dl4j.score() > 0.1, what + ": score " + dl4j.score());
            assertEquals(dl4j.score(), once.score(), 1e-14, what + ": the step's score");
            for (String p : new String[] {"dense_W", "dense_b", "out_W", "out_b"}) {
                INDArray e = dl4j.gradient().getGradientFor(p);
                assertTrue(e.amaxNumber().doubleValue() > 1e-6, what + ": " + p + " gradient is all zero");
                assertEquals(0, e.distance2(once.gradient().getGradientFor(p)), 1e-14, what + ": gradient of " + p);
            }
            DataSet other = new DataSet(x.mul(0.5), y);
            assertEquals(dl4j.score(other), once.score(other), 1e-14, what + ": evaluation's score of other input");
        }
    }

    @Test
    void aTrainingStepRunsTheLayersForwardOnceAndEvaluationItsOwn() {
        ComputationGraph g = net(3, true);
        ForwardOnceOutputLayer.Impl out = (ForwardOnceOutputLayer.Impl) g.getLayer("out");
        INDArray x = Nd4j.rand(DataType.DOUBLE, 4, IN);
        g.setInputs(x);
        g.setLabels(labels(3, 4));
        g.computeGradientAndScore();
        assertEquals(1, out.forwardPasses, "forward passes of a training step (DL4J's OutputLayer runs 2)");
        g.score(new DataSet(x, labels(3, 4)));
        assertEquals(2, out.forwardPasses, "evaluation's score runs its own forward");
    }
}
