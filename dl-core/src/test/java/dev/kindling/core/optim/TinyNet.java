package dev.kindling.core.optim;

import dev.kindling.core.layer.LayerNorm;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The seed's block in miniature, DOUBLE: in(3) -> fc Dense(4) -> ln LayerNorm -> relu -> out(1, MSE). */
final class TinyNet {
    static final long SEED = 7;
    static final int BATCH = 5;

    static ComputationGraph build(UnaryOperator<NeuralNetConfiguration.Builder> optimizer) {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder()
                .seed(SEED)
                .dataType(DataType.DOUBLE)
                .weightInit(WeightInit.XAVIER);
        ComputationGraph net = new ComputationGraph(AdamW.dropDuplicateDecay(optimizer.apply(b)
                .graphBuilder()
                .addInputs("in")
                .addLayer("fc", new DenseLayer.Builder().nIn(3).nOut(4).activation(Activation.IDENTITY).build(), "in")
                .addLayer("ln", new LayerNorm(4), "fc")
                .addLayer("relu", new DenseLayer.Builder().nOut(4).activation(Activation.RELU).build(), "ln")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1)
                        .activation(Activation.IDENTITY).build(), "relu")
                .setOutputs("out")
                .setInputTypes(InputType.feedForward(3))
                .build()));
        net.init();
        // gain and bias off their init values, so that decay and clipping visibly act on them
        net.getLayer("ln").getParam(LayerNorm.GAIN).assign(Nd4j.createFromArray(new double[][] {{0.8, 1.3, -0.7, 1.1}}));
        net.getLayer("ln").getParam(LayerNorm.BIAS).assign(Nd4j.createFromArray(new double[][] {{0.2, -0.4, 0.3, 0.5}}));
        return net;
    }

    static DataSet data() {
        Nd4j.getRandom().setSeed(SEED);
        INDArray x = Nd4j.randn(DataType.DOUBLE, BATCH, 3);
        INDArray y = x.sum(true, 1).mul(2.0).reshape(BATCH, 1);
        return new DataSet(x, y);
    }

    /** DL4J's loss gradient at the current parameters, as the minibatch MEAN (PyTorch's convention). */
    static INDArray meanGradient(ComputationGraph net, DataSet data) {
        net.setInputs(data.getFeatures());
        net.setLabels(data.getLabels());
        net.computeGradientAndScore();
        // DL4J's gradient here is the minibatch SUM; BaseMultiLayerUpdater.update divides by the batch size
        return net.gradient().gradient().dup().reshape(-1).divi(BATCH);
    }

    private TinyNet() {
    }
}
