package dev.kindling.core.train;

import dev.kindling.core.metrics.TaskMetrics;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Re-estimates every BatchNorm layer's running mean and variance from training minibatches. DL4J
 * updates those statistics through the gradient vector (as "gradients" with a no-op updater), so under
 * the shared master's threshold encoding they move by at most the threshold per step and lag far
 * behind the weights: a small CNN trained with {@code --dist shared} evaluated at chance level after an
 * epoch while its weights were fine. The driver's copy is recalibrated before each validation: a
 * training-mode forward pass over some training batches, then per channel the mean of the batch means
 * and of the batch variances (what the running averages estimate).
 */
public final class BatchNormStatistics {

    /** Whether the network has BatchNorm layers. */
    public static boolean present(ComputationGraph net) {
        return !layers(net).isEmpty();
    }

    /** Sets every BatchNorm layer's running statistics from {@code batches}; returns how many batches it used. */
    public static int recalibrate(ComputationGraph net, Iterator<DataSet> batches) {
        Map<String, String> inputs = layers(net);
        Map<String, INDArray[]> sums = new LinkedHashMap<>(); // per BN layer: sum of batch means, sum of batch variances
        int n = 0;
        while (batches.hasNext()) {
            DataSet ds = batches.next();
            Map<String, INDArray> acts = net.feedForward(new INDArray[] {ds.getFeatures()}, true, false);
            for (Map.Entry<String, String> e : inputs.entrySet()) {
                INDArray x = acts.get(e.getValue());
                int[] reduce = x.rank() == 4 ? new int[] {0, 2, 3} : new int[] {0};
                INDArray mean = x.mean(reduce);
                INDArray var = x.var(false, reduce);
                INDArray[] s = sums.get(e.getKey());
                if (s == null) {
                    sums.put(e.getKey(), new INDArray[] {mean, var});
                } else {
                    s[0].addi(mean);
                    s[1].addi(var);
                }
            }
            n++;
            // a training-mode forward of a CNN batch is hundreds of MB off-heap: release it now, not at some later GC
            for (INDArray a : acts.values()) {
                if (a != ds.getFeatures() && a.closeable()) {
                    a.close();
                }
            }
        }
        if (n == 0) {
            return 0;
        }
        for (Map.Entry<String, INDArray[]> e : sums.entrySet()) {
            INDArray mean = e.getValue()[0].divi(n);
            INDArray var = e.getValue()[1].divi(n);
            String layer = e.getKey();
            net.getParam(layer + "_" + BatchNormalizationParamInitializer.GLOBAL_MEAN).assign(mean.reshape(1, mean.length()));
            if (net.getLayer(layer).paramTable().containsKey(BatchNormalizationParamInitializer.GLOBAL_LOG_STD)) {
                // DL4J keeps log10(std): var = (10^log10s)^2
                net.getParam(layer + "_" + BatchNormalizationParamInitializer.GLOBAL_LOG_STD)
                        .assign(Transforms.log(var, 10, true).muli(0.5).reshape(1, var.length()));
            } else {
                net.getParam(layer + "_" + BatchNormalizationParamInitializer.GLOBAL_VAR).assign(var.reshape(1, var.length()));
            }
        }
        return n;
    }

    /** BatchNorm layer name to the vertex feeding it. */
    static Map<String, String> layers(ComputationGraph net) {
        Map<String, String> m = new LinkedHashMap<>();
        for (var e : net.getConfiguration().getVertices().entrySet()) {
            if (e.getValue() instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BatchNormalization) {
                m.put(e.getKey(), net.getConfiguration().getVertexInputs().get(e.getKey()).get(0));
            }
        }
        return m;
    }

    /** Wraps a trainer so that the network's BatchNorm statistics are recalibrated before each validation. */
    public static EpochLoop.Epochs recalibratingBeforeValidation(EpochLoop.Epochs epochs, java.util.function.Supplier<ComputationGraph> net,
                                                                 List<String> trainShards, java.util.function.Function<String, DataSet> loader,
                                                                 int maxBatches) {
        List<String> sample = new ArrayList<>(trainShards.subList(0, Math.min(maxBatches, trainShards.size())));
        return new EpochLoop.Epochs() {
            @Override
            public EpochLoop.EpochFit fit(int epoch, int startStep, EpochLoop.StepHook afterStep) throws Exception {
                return epochs.fit(epoch, startStep, afterStep);
            }

            @Override
            public TaskMetrics validate() throws Exception {
                recalibrate(net.get(), sample.stream().map(loader).iterator());
                return epochs.validate();
            }
        };
    }

    private BatchNormStatistics() {}
}
