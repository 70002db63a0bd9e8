package dev.kindling.core.optim;

import dev.kindling.core.schedule.CosineAnnealing;
import dev.kindling.core.schedule.CosineAnnealingSchedule;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Everything about a network that is not its topology: seed, precision, optimizer. Architectures
 * take one of these, so switching optimizer or precision never edits a model class.
 *
 * @param seed        parameter initialisation and dropout seed
 * @param dataType    network data type (FLOAT for training, DOUBLE for gradient checks)
 * @param updater     the optimizer's update rule
 * @param weightDecay decoupled weight decay on every parameter (>= 0; 0 disables); DL4J applies it
 *                    after the updater, scaled by the learning rate: with Adam this is AdamW
 * @param coupledDecay apply {@code weightDecay} as L2 added to the gradient instead (PyTorch's
 *                    {@code weight_decay} for SGD and Adam)
 */
public record NetDefaults(long seed, DataType dataType, IUpdater updater, double weightDecay, boolean coupledDecay) {

    public NetDefaults {
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weightDecay=" + weightDecay + ": must be >= 0");
        }
    }

    /** Decoupled decay (AdamW's kind). */
    public NetDefaults(long seed, DataType dataType, IUpdater updater, double weightDecay) {
        this(seed, dataType, updater, weightDecay, false);
    }

    /** The seed's optimizer: AdamW with a cosine-annealed learning rate. */
    public static NetDefaults adamW(long seed, DataType dataType, CosineAnnealing schedule, double weightDecay) {
        return new NetDefaults(seed, dataType, AdamW.adam(new CosineAnnealingSchedule(schedule)), weightDecay);
    }

    /** DOUBLE precision, no updater, no decay: what DL4J's gradient checker requires. */
    public static NetDefaults gradientCheck(long seed) {
        return new NetDefaults(seed, DataType.DOUBLE, new NoOp(), 0);
    }

    /** The shared part of every graph configuration. */
    public NeuralNetConfiguration.Builder builder() {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder().seed(seed).dataType(dataType).updater(updater);
        if (coupledDecay) {
            return weightDecay > 0 ? b.l2(weightDecay).l2Bias(weightDecay) : b;
        }
        return AdamW.decoupledDecay(b, weightDecay);
    }

    /**
     * Every architecture passes its built configuration through here: DL4J M2.1's duplicated decay removed,
     * and decay kept out of the reported loss ({@link LossOnlyScore}).
     */
    public ComputationGraphConfiguration finish(ComputationGraphConfiguration conf) {
        return LossOnlyScore.apply(AdamW.dropDuplicateDecay(conf));
    }
}
