package dev.kindling.core.model;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * Everything about a network that is not its topology: seed, precision, optimizer. Architectures
 * take one of these, so switching optimizer or precision never edits a model class.
 *
 * @param seed        parameter initialisation and dropout seed
 * @param dataType    network data type (FLOAT for training, DOUBLE for gradient checks)
 * @param updater     the optimizer, for example Adam with a learning-rate schedule
 * @param weightDecay decoupled weight decay on weights and biases (0 disables); DL4J applies it
 *                    after the updater and scaled by the learning rate, which is AdamW's rule
 */
public record NetDefaults(long seed, DataType dataType, IUpdater updater, double weightDecay) {

    public NetDefaults {
        if (weightDecay < 0) {
            throw new IllegalArgumentException("weightDecay=" + weightDecay + ": must be >= 0");
        }
    }

    /** The shared part of every graph configuration. */
    public NeuralNetConfiguration.Builder builder() {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(dataType)
                .updater(updater);
        if (weightDecay > 0) {
            b.weightDecay(weightDecay, true).weightDecayBias(weightDecay, true);
        }
        return b;
    }
}
