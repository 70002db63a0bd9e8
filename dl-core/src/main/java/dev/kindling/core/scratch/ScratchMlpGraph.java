package dev.kindling.core.scratch;

import java.util.Arrays;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The DL4J {@link ComputationGraph} equivalent to a {@link ScratchMlp}, and weight copies both ways,
 * so a scratch-trained model can be saved as a DL4J model zip and a DL4J model checked against the
 * scratch arithmetic.
 *
 * <pre>
 * vertex     DL4J layer                   activations     seed (NumPy)          W / b in DL4J
 * input      -                            [B, d0]         x (B, d0)
 * dense{i}   DenseLayer, ReLU             [B, d_{i+1}]    layers[i], relus[i]   [d_i, d_{i+1}] / [d_{i+1}]
 * output     OutputLayer, softmax, MCXENT [B, dL]         layers[L-1], loss     [d_{L-1}, dL] / [dL]
 * </pre>
 *
 * DL4J keeps W as [nIn, nOut], the seed's layout, and b rank 1 as [nOut] (the seed's is [1, nOut]),
 * so copies are element for element after a reshape of b. The graph is DOUBLE with a {@link NoOp}
 * updater: it mirrors the scratch net and is not meant to be trained by DL4J's updater.
 *
 * <p>Differences that tests pin down ({@code ScratchMlpGraphTest}): DL4J's gradient is the sum over
 * the minibatch (the scratch net's is the mean; DL4J's updater divides by B later), and DL4J's
 * MCXENT score is -mean(log p[y]) with p clipped to [1e-10, 1 - 1e-10] instead of the seed's
 * -mean(log(p[y] + 1e-9)).
 */
public final class ScratchMlpGraph {
    public static final String INPUT = "input";
    public static final String OUTPUT = "output";
    /** Hidden layer i (0-based) is the vertex {@code HIDDEN_PREFIX + i}. */
    public static final String HIDDEN_PREFIX = "dense";
    public static final String WEIGHT_KEY = "W";
    public static final String BIAS_KEY = "b";

    /**
     * Name of the DL4J layer that mirrors scratch layer {@code index}.
     *
     * @param index      0 <= index < layerCount
     * @param layerCount number of scratch layers, dims.length - 1 (>= 1)
     */
    public static String layerName(int index, int layerCount) {
        if (layerCount < 1 || index < 0 || index >= layerCount) {
            throw new IllegalArgumentException("index=" + index + ", layerCount=" + layerCount
                    + ": need 0 <= index < layerCount");
        }
        return index == layerCount - 1 ? OUTPUT : HIDDEN_PREFIX + index;
    }

    /**
     * The graph for {@code dims}: DenseLayer(ReLU) per hidden width, OutputLayer(softmax, MCXENT).
     * He ({@link WeightInit#RELU}) initialization from {@code seed}; it only matters if the weights
     * are not overwritten by {@link #copyWeights(ScratchMlp, ComputationGraph)}.
     *
     * @param dims layer widths (length >= 2, each >= 1)
     */
    public static ComputationGraphConfiguration configure(int[] dims, long seed) {
        int[] d = ScratchMlp.zeros(dims).dims(); // validates
        int layerCount = d.length - 1;
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.DOUBLE)
                .updater(new NoOp())
                .weightInit(WeightInit.RELU)
                .graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.feedForward(d[0]));
        String previous = INPUT;
        for (int i = 0; i < layerCount - 1; i++) {
            String name = layerName(i, layerCount);
            g.addLayer(name, new DenseLayer.Builder().nIn(d[i]).nOut(d[i + 1])
                    .activation(Activation.RELU).build(), previous);
            previous = name;
        }
        g.addLayer(OUTPUT, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nIn(d[layerCount - 1]).nOut(d[layerCount])
                .activation(Activation.SOFTMAX).build(), previous);
        return g.setOutputs(OUTPUT).build();
    }

    /** A new initialized graph holding a copy of {@code mlp}'s weights. */
    public static ComputationGraph fromScratch(ScratchMlp mlp) {
        // Seed 0 is arbitrary: every parameter is overwritten by the copy below.
        ComputationGraph graph = new ComputationGraph(configure(mlp.dims(), 0L));
        graph.init();
        copyWeights(mlp, graph);
        return graph;
    }

    /** A new {@link ScratchMlp} with the graph's widths and a copy of its weights. */
    public static ScratchMlp toScratch(ComputationGraph graph) {
        ScratchMlp mlp = ScratchMlp.zeros(dims(graph));
        copyWeights(graph, mlp);
        return mlp;
    }

    /** Layer widths of a graph built by {@link #configure}, read from its W shapes. */
    public static int[] dims(ComputationGraph graph) {
        Objects.requireNonNull(graph, "graph");
        int hidden = 0;
        while (graph.getVertex(HIDDEN_PREFIX + hidden) != null) {
            hidden++;
        }
        int layerCount = hidden + 1;
        int[] d = new int[layerCount + 1];
        for (int i = 0; i < layerCount; i++) {
            long[] shape = layer(graph, layerName(i, layerCount)).getParam(WEIGHT_KEY).shape();
            if (i > 0 && shape[0] != d[i]) {
                throw new IllegalArgumentException("layer " + layerName(i, layerCount) + " nIn="
                        + shape[0] + ": must equal the previous nOut=" + d[i]);
            }
            d[i] = (int) shape[0];
            d[i + 1] = (int) shape[1];
        }
        return d;
    }

    /** Copies every W and b of {@code from} into {@code to}; the widths must match. */
    public static void copyWeights(ScratchMlp from, ComputationGraph to) {
        checkSameDims(from, to);
        int layerCount = from.layers().size();
        for (int i = 0; i < layerCount; i++) {
            dev.kindling.core.scratch.Layer src = from.layers().get(i);
            Layer dst = layer(to, layerName(i, layerCount));
            setParam(dst, WEIGHT_KEY, src.weights()); // [in, out]
            setParam(dst, BIAS_KEY, src.bias()); // [1, out] -> DL4J's [out]
        }
    }

    /** Copies every W and b of {@code from} into {@code to}; the widths must match. */
    public static void copyWeights(ComputationGraph from, ScratchMlp to) {
        checkSameDims(to, from);
        int layerCount = to.layers().size();
        for (int i = 0; i < layerCount; i++) {
            Layer src = layer(from, layerName(i, layerCount));
            dev.kindling.core.scratch.Layer dst = to.layers().get(i);
            copyInto(src.getParam(WEIGHT_KEY), dst.weights());
            copyInto(src.getParam(BIAS_KEY), dst.bias());
        }
    }

    private static void setParam(Layer layer, String key, double[][] value) {
        long[] shape = layer.getParam(key).shape();
        layer.setParam(key, Nd4j.create(value).reshape(shape));
    }

    private static void copyInto(INDArray src, double[][] dst) {
        // DL4J's bias is rank 1, [out]; view it as the seed's [1, out]
        INDArray matrix = src.rank() == 1 ? src.reshape(1, src.length()) : src;
        double[][] values = matrix.castTo(DataType.DOUBLE).toDoubleMatrix();
        for (int r = 0; r < dst.length; r++) {
            System.arraycopy(values[r], 0, dst[r], 0, dst[r].length);
        }
    }

    private static void checkSameDims(ScratchMlp mlp, ComputationGraph graph) {
        int[] a = mlp.dims();
        int[] b = dims(graph);
        if (!Arrays.equals(a, b)) {
            throw new IllegalArgumentException("scratch dims=" + Arrays.toString(a) + ", graph dims="
                    + Arrays.toString(b) + ": must be equal");
        }
    }

    private static Layer layer(ComputationGraph graph, String name) {
        if (graph.getVertex(name) == null || !graph.getVertex(name).hasLayer()) {
            throw new IllegalArgumentException("layer=" + name + ": not in the graph; expected "
                    + HIDDEN_PREFIX + "0.. and " + OUTPUT);
        }
        return graph.getLayer(name);
    }

    private ScratchMlpGraph() {}
}
