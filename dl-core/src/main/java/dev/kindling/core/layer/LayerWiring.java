package dev.kindling.core.layer;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What Kindling's subclasses of DL4J layer configurations share: copying a built configuration into the
 * subclass, and what every configuration's {@code instantiate} does with a new layer implementation.
 */
final class LayerWiring {

    /** Attaches {@code layer} to its listeners, index, slice of the network's parameters and configuration. */
    static <L extends Layer> L wire(L layer, ParamInitializer params, NeuralNetConfiguration conf,
                                    Collection<TrainingListener> listeners, int layerIndex, INDArray paramsView,
                                    boolean initializeParams) {
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(paramsView);
        layer.setParamTable(params.init(conf, paramsView, initializeParams));
        layer.setConf(conf);
        return layer;
    }

    /**
     * Copies every instance field declared by {@code type} and its superclasses from {@code from} into
     * {@code to} (a subclass instance of {@code type}): DL4J's builders have no copy constructor.
     */
    static <T> T copyFields(Class<?> type, Object from, T to) {
        for (Class<?> c = type; c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers())) {
                    f.setAccessible(true);
                    try {
                        f.set(to, f.get(from));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(to.getClass().getSimpleName() + ": cannot copy "
                                + type.getSimpleName() + " field " + f.getName(), e);
                    }
                }
            }
        }
        return to;
    }

    private LayerWiring() {
    }
}
