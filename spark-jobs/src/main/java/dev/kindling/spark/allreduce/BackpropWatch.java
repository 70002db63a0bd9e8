package dev.kindling.spark.allreduce;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.function.IntConsumer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells, during backprop, which vertex has just run its backward: DL4J's ComputationGraph has no hook
 * inside its backward loop (listeners fire only after it), so every layer vertex with parameters is
 * replaced by a {@link LayerVertex} of the same layer, name, index, connections and preprocessor that
 * reports its topological position after its own backward. The graph reads its vertices from an array
 * and, for the output layers' scores, from a name map (a protected field, set through reflection).
 */
final class BackpropWatch {
    private static final Logger LOG = LoggerFactory.getLogger(BackpropWatch.class);

    private BackpropWatch() {}

    /**
     * Installs the watch on {@code net}; {@code done} receives the topological position of each layer
     * vertex whose backward has returned. False (nothing changed) when this DL4J's graph is not built
     * as expected: the caller then reduces after backprop.
     */
    static boolean install(ComputationGraph net, IntConsumer done) {
        try {
            Field mapField = ComputationGraph.class.getDeclaredField("verticesMap");
            mapField.setAccessible(true);
            @SuppressWarnings("unchecked")
            Map<String, GraphVertex> byName = (Map<String, GraphVertex>) mapField.get(net);
            GraphVertex[] vertices = net.getVertices();
            int[] topo = net.topologicalSortOrder();
            for (int p = 0; p < topo.length; p++) {
                if (vertices[topo[p]] instanceof LayerVertex v && v.numParams() > 0 && !(v instanceof Reporting)) {
                    Reporting r = new Reporting(net, v, p, done);
                    vertices[topo[p]] = r;
                    byName.put(v.getVertexName(), r);
                }
            }
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot watch backprop in this DL4J ({}): the all-reduce starts after backprop", e.toString());
            return false;
        }
    }

    /** A layer vertex that reports its position once its backward has returned. */
    static final class Reporting extends LayerVertex {
        private final transient IntConsumer done;
        private final int position;

        Reporting(ComputationGraph net, LayerVertex v, int position, IntConsumer done) {
            super(net, v.getVertexName(), v.getVertexIndex(), v.getInputVertices(), v.getOutputVertices(), v.getLayer(),
                    v.getLayerPreProcessor(), v.isOutputVertex(), v.getDataType());
            setSetLayerInput(v.isSetLayerInput());
            INDArray[] inputs = v.getInputs();
            for (int i = 0; inputs != null && i < inputs.length; i++) {
                this.inputs[i] = inputs[i];
            }
            this.position = position;
            this.done = done;
        }

        @Override
        public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
            Pair<Gradient, INDArray[]> out = super.doBackward(tbptt, workspaceMgr);
            done.accept(position);
            return out;
        }
    }
}
