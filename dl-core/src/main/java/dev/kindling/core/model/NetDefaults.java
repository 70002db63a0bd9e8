package dev.kindling.core.model;

import dev.kindling.core.optim.AdamW;
import dev.kindling.core.schedule.CosineAnnealing;
import dev.kindling.core.schedule.CosineAnnealingSchedule;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Everything about a network that is not its topology: seed, precision, optimizer. Architectures
 * take one of these, so switching optimizer or precision never edits a model class. The optimizer
 * is AdamW (the seed's): Adam with decoupled weight decay on every parameter.
 *
 * @param seed        parameter initialisation and dropout seed
 * @param dataType    network data type (FLOAT for training, DOUBLE for gradient checks)
 * @param lr          learning-rate schedule
 * @param weightDecay decoupled weight decay (>= 0; 0 is plain Adam)
 */
public record NetDefaults(long seed, DataType dataType, ISchedule lr, double weightDecay) {

    public NetDefaults {
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weightDecay=" + weightDecay + ": must be >= 0");
        }
    }

    /** The seed's optimizer: AdamW with a cosine-annealed learning rate. */
    public static NetDefaults adamW(long seed, DataType dataType, CosineAnnealing schedule, double weightDecay) {
        return new NetDefaults(seed, dataType, new CosineAnnealingSchedule(schedule), weightDecay);
    }

    /** The shared part of every graph configuration. */
    public NeuralNetConfiguration.Builder builder() {
        return AdamW.configure(new NeuralNetConfiguration.Builder().seed(seed).dataType(dataType), lr, weightDecay);
    }

    /** Every architecture passes its built configuration through here (DL4J M2.1's duplicated decay). */
    public ComputationGraphConfiguration finish(ComputationGraphConfiguration conf) {
        return AdamW.dropDuplicateDecay(conf);
    }
}
