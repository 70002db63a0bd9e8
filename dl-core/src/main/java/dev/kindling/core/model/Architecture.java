package dev.kindling.core.model;

import dev.kindling.core.config.Config;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Keys;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Task;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/** The registry: every architecture Kindling can train, by its command-line name. */
public enum Architecture {
    /** Seed section 2: {@link Mlp}. */
    MLP("mlp", "dev.kindling.core.model.Mlp", "2: PyTorch basics + MLP training loop", true, 1),
    /** Seed section 1: the from-scratch NumPy MLP, trained by hand-written backprop in one JVM. */
    SCRATCH_MLP("scratch-mlp", "dev.kindling.core.scratch.ScratchMlp", "1: MLP from scratch", false, 1),
    /** Seed section "The Craft of Getting Models to Actually Train": {@link RegularizedMlp}. */
    REGULARIZED_MLP("regularized-mlp", "dev.kindling.core.model.RegularizedMlp", "6: the craft of training (RegularizedMLP)", true, 1);

    private final String cliName;
    private final String className;
    private final String seedSection;
    private final boolean distributed;
    private final int version;

    /** @param version bumped whenever a saved model of the old topology no longer loads into the new one */
    Architecture(String cliName, String className, String seedSection, boolean distributed, int version) {
        this.cliName = cliName;
        this.className = className;
        this.seedSection = seedSection;
        this.distributed = distributed;
        this.version = version;
    }

    /** The topology version saved in every model.zip and checked on load. */
    public int version() {
        return version;
    }

    public String cliName() {
        return cliName;
    }

    public String className() {
        return className;
    }

    public String seedSection() {
        return seedSection;
    }

    /** Whether the Spark masters can train it; otherwise only {@code --dist local}. */
    public boolean distributed() {
        return distributed;
    }

    public static List<String> names() {
        return Arrays.stream(values()).map(Architecture::cliName).toList();
    }

    public static Architecture byName(String name) {
        for (Architecture a : values()) {
            if (a.cliName.equals(name)) {
                return a;
            }
        }
        throw new ConfigException("model=" + name + ": unknown architecture; valid: " + String.join(", ", names()));
    }

    /** Checks that a dataset can feed this architecture, before any work starts. */
    public void checkFits(Manifest m) {
        if (m.task() != Task.CLASSIFICATION) {
            throw new ConfigException("data=" + m.name() + ": a " + m.task().id() + " dataset, but model=" + cliName
                    + " is a classifier; use a classification dataset or a " + m.task().id() + " model");
        }
        if (m.featureShape().length != 1) {
            throw new ConfigException("data=" + m.name() + ": features have shape " + Arrays.toString(m.featureShape())
                    + " but model=" + cliName + " takes flat vectors [d]; use a dataset with flat features");
        }
        if (this == SCRATCH_MLP && m.binary()) {
            throw new ConfigException("data=" + m.name() + ": binary labels, but model=scratch-mlp has a softmax head; use a multi-class dataset such as seed-quadrants");
        }
    }

    /** The DL4J graph for a dataset. scratch-mlp's graph is the DL4J twin its weights are saved in. */
    public ComputationGraphConfiguration configure(Manifest m, Config c, NetDefaults defaults) {
        checkFits(m);
        return switch (this) {
            case MLP -> Mlp.configure(new Mlp.Spec(m.featureWidth(), c.intValue(Keys.HIDDEN, n -> n >= 2 && n % 2 == 0),
                    m.numClasses(), Head.forClasses(m.numClasses(), m.binary()),
                    c.doubleValue(Keys.DROPOUT, p -> p >= 0 && p < 1)), defaults);
            case REGULARIZED_MLP -> RegularizedMlp.configure(new RegularizedMlp.Spec(m.featureWidth(),
                    c.intValue(Keys.HIDDEN, n -> n >= 2 && n % 2 == 0), m.numClasses(), Head.forClasses(m.numClasses(), m.binary()),
                    c.doubleValue(Keys.DROPOUT, p -> p >= 0 && p < 1), c.doubleValue(Keys.DROPOUT2, p -> p >= 0 && p < 1)), defaults);
            case SCRATCH_MLP -> throw new IllegalStateException("scratch-mlp is built by the scratch trainer");
        };
    }
}
