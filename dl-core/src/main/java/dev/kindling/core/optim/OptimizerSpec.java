package dev.kindling.core.optim;

import dev.kindling.core.config.Config;
import dev.kindling.core.config.Keys;
import dev.kindling.core.model.NetDefaults;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * The optimizer a run uses, chosen by {@code --optimizer}: its DL4J updater, how weight decay enters
 * (L2 added to the gradient for {@code sgd}, {@code nesterov} and {@code adam}, as PyTorch's
 * {@code weight_decay}; decoupled for {@code adamw}, {@code lion} and {@code muon}) and gradient
 * accumulation. {@link #defaults} gives the {@link NetDefaults} an architecture is built with;
 * {@link #finish} then gives Muon its per-matrix updaters and wraps every updater in
 * {@link Accumulate} when {@code accumulate > 1}.
 *
 * @param name        sgd | nesterov | adam | adamw | lion | muon
 * @param lr          learning-rate schedule
 * @param momentum    sgd, nesterov, muon: momentum in [0, 1)
 * @param beta1       adam, adamw, lion (and muon's AdamW fallback)
 * @param beta2       as beta1
 * @param weightDecay coefficient (>= 0)
 * @param accumulate  micro-batches per optimizer step (>= 1)
 */
public record OptimizerSpec(String name, ISchedule lr, double momentum, double beta1, double beta2, double weightDecay,
                            int accumulate) {
    public static final List<String> NAMES = List.of("sgd", "nesterov", "adam", "adamw", "lion", "muon");

    public OptimizerSpec {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("optimizer=" + name + ": must be one of " + String.join(", ", NAMES));
        }
        Objects.requireNonNull(lr, "lr");
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weightDecay=" + weightDecay + ": must be >= 0");
        }
        if (accumulate < 1) {
            throw new IllegalArgumentException("accumulate=" + accumulate + ": must be >= 1");
        }
    }

    /** Reads --optimizer, --momentum, --beta1, --beta2, --weight-decay, --accumulate; {@code lr} comes from the schedule keys. */
    public static OptimizerSpec from(Config c, ISchedule lr) {
        String name = c.oneOf(Keys.OPTIMIZER, NAMES);
        double momentum = c.has(Keys.MOMENTUM) ? c.doubleValue(Keys.MOMENTUM, v -> v >= 0 && v < 1)
                : name.equals("muon") ? Muon.MOMENTUM : 0.9;
        double beta1 = c.has(Keys.BETA1) ? c.doubleValue(Keys.BETA1, v -> v >= 0 && v < 1)
                : name.equals("lion") ? Lion.BETA1 : AdamW.BETA1;
        double beta2 = c.has(Keys.BETA2) ? c.doubleValue(Keys.BETA2, v -> v >= 0 && v < 1)
                : name.equals("lion") ? Lion.BETA2 : AdamW.BETA2;
        if (name.equals("nesterov") && momentum == 0) {
            throw new dev.kindling.core.config.ConfigException("momentum=0: optimizer=nesterov needs momentum > 0; use --optimizer=sgd for plain SGD");
        }
        return new OptimizerSpec(name, lr, momentum, beta1, beta2, c.doubleValue(Keys.WEIGHT_DECAY, v -> v >= 0),
                c.intValue(Keys.ACCUMULATE, n -> n >= 1));
    }

    /** The network-wide updater (for muon: the AdamW every non-matrix parameter uses). */
    public IUpdater updater() {
        return switch (name) {
            case "sgd" -> new Momentum(lr, momentum, false);
            case "nesterov" -> new Momentum(lr, momentum, true);
            case "adam", "adamw", "muon" -> adam();
            case "lion" -> new Lion(lr, beta1, beta2);
            default -> throw new IllegalStateException(name);
        };
    }

    private Adam adam() {
        Adam adam = new Adam(lr);
        adam.setBeta1(beta1);
        adam.setBeta2(beta2);
        adam.setEpsilon(AdamW.EPSILON);
        return adam;
    }

    /** L2 in the gradient (PyTorch's coupled {@code weight_decay}) rather than decoupled decay. */
    public boolean coupledDecay() {
        return name.equals("sgd") || name.equals("nesterov") || name.equals("adam");
    }

    public NetDefaults defaults(long seed, DataType dataType) {
        return new NetDefaults(seed, dataType, updater(), weightDecay, coupledDecay());
    }

    /**
     * Muon's per-matrix updaters (every {@code DenseLayer} weight) and the accumulation wrapper on every
     * updater; returns {@code conf}. Call on the configuration an architecture built from {@link #defaults}.
     */
    public ComputationGraphConfiguration finish(ComputationGraphConfiguration conf) {
        for (GraphVertex vertex : conf.getVertices().values()) {
            if (vertex instanceof LayerVertex lv) {
                finish(lv.getLayerConf().getLayer());
            }
        }
        return conf;
    }

    private void finish(Layer layer) {
        if (layer instanceof BaseWrapperLayer w) {
            finish(w.getUnderlying());
        } else if (layer instanceof BaseLayer base) {
            if (name.equals("muon") && layer instanceof DenseLayer dense) {
                base.setBiasUpdater(base.getBiasUpdater() != null ? base.getBiasUpdater() : base.getIUpdater());
                base.setIUpdater(new Muon(lr, momentum).forMatrix(layer.getLayerName() + "_W", dense.getNIn(), dense.getNOut()));
            }
            base.setIUpdater(wrap(base.getIUpdater()));
            base.setBiasUpdater(wrap(base.getBiasUpdater()));
        } else if (layer instanceof AbstractSameDiffLayer sd) {
            sd.setUpdater(wrap(sd.getUpdater()));
            sd.setBiasUpdater(wrap(sd.getBiasUpdater()));
        }
    }

    private IUpdater wrap(IUpdater u) {
        return u == null || accumulate == 1 || u instanceof Accumulate ? u : new Accumulate(u, accumulate);
    }
}
