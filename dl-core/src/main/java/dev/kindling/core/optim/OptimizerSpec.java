package dev.kindling.core.optim;

import dev.kindling.core.config.ConfigException;
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
 * @param optimizer   the update rule
 * @param lr          learning-rate schedule
 * @param momentum    sgd, nesterov, muon: momentum in [0, 1)
 * @param beta1       adam, adamw, lion (and muon's AdamW fallback)
 * @param beta2       as beta1
 * @param weightDecay coefficient (>= 0)
 * @param accumulate  micro-batches per optimizer step (>= 1)
 */
public record OptimizerSpec(Optimizer optimizer, ISchedule lr, double momentum, double beta1, double beta2, double weightDecay,
                            int accumulate) {

    public OptimizerSpec {
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(lr, "lr");
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weightDecay=" + weightDecay + ": must be >= 0");
        }
        if (accumulate < 1) {
            throw new IllegalArgumentException("accumulate=" + accumulate + ": must be >= 1");
        }
    }

    /** {@code config}'s optimizer with its unset coefficients at the optimizer's defaults; {@code lr} from the schedule. */
    public static OptimizerSpec from(OptimConfig config, ISchedule lr) {
        Optimizer o = config.optimizer();
        double momentum = config.momentum() != null ? config.momentum() : o == Optimizer.MUON ? Muon.MOMENTUM : 0.9;
        double beta1 = config.beta1() != null ? config.beta1() : o == Optimizer.LION ? Lion.BETA1 : AdamW.BETA1;
        double beta2 = config.beta2() != null ? config.beta2() : o == Optimizer.LION ? Lion.BETA2 : AdamW.BETA2;
        if (o == Optimizer.NESTEROV && momentum == 0) {
            throw new ConfigException("momentum=0: optimizer=nesterov needs momentum > 0; use --optimizer=sgd for plain SGD");
        }
        return new OptimizerSpec(o, lr, momentum, beta1, beta2, config.weightDecay(), config.accumulate());
    }

    /** The optimizer's command-line name, as metrics.json reports it. */
    public String name() {
        return optimizer.cliName();
    }

    /** The network-wide updater (for muon: the AdamW every non-matrix parameter uses). */
    public IUpdater updater() {
        return switch (optimizer) {
            case SGD -> new Momentum(lr, momentum, false);
            case NESTEROV -> new Momentum(lr, momentum, true);
            case ADAM, ADAMW, MUON -> adam();
            case LION -> new Lion(lr, beta1, beta2);
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
        return optimizer.coupledDecay();
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
            if (optimizer == Optimizer.MUON && layer instanceof DenseLayer dense) {
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
