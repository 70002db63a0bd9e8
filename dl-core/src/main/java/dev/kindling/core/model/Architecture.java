package dev.kindling.core.model;

import dev.kindling.core.config.Choice;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.ImageShape;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Task;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.sequence.TokenLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/** The registry: every architecture Kindling can train, by its command-line name. */
public enum Architecture implements Choice {
    /** Seed section 2: {@link Mlp}. */
    MLP("mlp", "dev.kindling.core.model.Mlp", "2: PyTorch basics + MLP training loop", true, 1),
    /** Seed section 1: the from-scratch NumPy MLP, trained by hand-written backprop in one JVM. */
    SCRATCH_MLP("scratch-mlp", "dev.kindling.core.scratch.ScratchMlp", "1: MLP from scratch", false, 1),
    /** Seed section "The Craft of Getting Models to Actually Train": {@link RegularizedMlp}. */
    REGULARIZED_MLP("regularized-mlp", "dev.kindling.core.model.RegularizedMlp", "6: the craft of training (RegularizedMLP)", true, 1),
    /** Seed section 3: {@link SmallCnn}, on images ({@code [C, H, W]} or flat with an {@code image} attribute). */
    SMALL_CNN("small-cnn", "dev.kindling.core.model.SmallCnn", "3: Teach Machines to See", true, 1),
    /** Seed section 3's header diagram: {@link VggStyleCnn}. */
    VGG_STYLE_CNN("vgg-style-cnn", "dev.kindling.core.model.VggStyleCnn", "3: Teach Machines to See (header diagram)", true, 1),
    /** Seed section 3's transfer learning: {@link ResNet50Transfer}. */
    RESNET50_TRANSFER("resnet50-transfer", "dev.kindling.core.model.ResNet50Transfer", "3: Teach Machines to See (transfer learning)", true, 1),
    /** Seed section 4: {@link VanillaRnn}. */
    VANILLA_RNN("vanilla-rnn", "dev.kindling.core.model.VanillaRnn", "4: Model Sequences, Time, and Memory", true, 1),
    /** Seed section 4: {@link LstmClassifier}. */
    LSTM_CLASSIFIER("lstm-classifier", "dev.kindling.core.model.LstmClassifier", "4: Model Sequences, Time, and Memory", true, 1),
    /** Seed section 4: {@link LstmForecaster}. */
    LSTM_FORECASTER("lstm-forecaster", "dev.kindling.core.model.LstmForecaster", "4: Model Sequences, Time, and Memory", true, 1),
    /** Seed section 4: {@link Seq2Seq}. */
    SEQ2SEQ("seq2seq", "dev.kindling.core.model.Seq2Seq", "4: Model Sequences, Time, and Memory", true, 1),
    /** Seed section 5: {@link Gpt}. */
    GPT("gpt", "dev.kindling.core.model.Gpt", "5: The Architecture That Powers Modern AI", true, 1),
    /** Seed section 5's BERT-style column: {@link EncoderClassifier}. */
    ENCODER_CLASSIFIER("encoder-classifier", "dev.kindling.core.model.EncoderClassifier", "5: The Architecture That Powers Modern AI (BERT-style)",
            true, 1);

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
        return Choice.names(Architecture.class);
    }

    public static Architecture byName(String name) {
        return Choice.byName(Architecture.class, "model", name);
    }

    /**
     * The architecture's own defaults, as {@code key=value} preset lines: applied above the global
     * defaults and below the config file and flags, so a user's {@code --beta2} always wins. The GPT
     * takes the seed's recipe: AdamW lr 3e-4, betas (0.9, 0.95), weight decay 0.1, dropout 0.1 (with the
     * general lr 1e-3 and no warmup, two workers saw a loss spike at step 10, docs/transformers.md).
     */
    public Map<String, String> defaults() {
        return this == GPT ? Map.of("beta1", Double.toString(Gpt.BETA1), "beta2", Double.toString(Gpt.BETA2),
                "lr", Double.toString(Gpt.LR), "weight-decay", Double.toString(Gpt.WEIGHT_DECAY), "dropout", Double.toString(Gpt.DROPOUT))
                : Map.of();
    }

    /** Checks that a dataset can feed this architecture, before any work starts. */
    public void checkFits(Manifest m) {
        switch (this) {
            case VANILLA_RNN, LSTM_CLASSIFIER -> {
                requireTask(m, Task.CLASSIFICATION, "a sequence classifier");
                requireSequences(m);
                return;
            }
            case LSTM_FORECASTER -> {
                requireTask(m, Task.REGRESSION, "a forecaster");
                requireSequences(m);
                return;
            }
            case SEQ2SEQ -> {
                requireTask(m, Task.SEQ2SEQ, "a seq2seq model");
                TokenLayout layout = TokenLayout.of(m);
                if (m.featureShape().length != 1 || m.featureShape()[0] != layout.sourceLength() + layout.targetLength()) {
                    throw new ConfigException("data=" + m.name() + ": features " + Arrays.toString(m.featureShape())
                            + " are not [source-length + target-length]; re-run prepare-data with a seq2seq source such as seq-reverse");
                }
                return;
            }
            case GPT -> {
                if (m.task() != Task.LANGUAGE_MODEL || m.featureShape().length != 1) {
                    throw new ConfigException("data=" + m.name() + ": a " + m.task().id() + " dataset with features " + Arrays.toString(m.featureShape())
                            + ", but model=gpt is a language model over token windows [T]; prepare one with --dataset=kjv or --dataset=text");
                }
                return;
            }
            case ENCODER_CLASSIFIER -> {
                if (m.task() != Task.CLASSIFICATION || m.featureShape().length != 1 || !m.attributes().containsKey("vocab_size")) {
                    throw new ConfigException("data=" + m.name() + ": model=encoder-classifier needs a token classification dataset "
                            + "(features [T] token ids, a vocab_size attribute); prepare one with --dataset=topics");
                }
                return;
            }
            default -> { }
        }
        if (m.task() != Task.CLASSIFICATION) {
            throw new ConfigException("data=" + m.name() + ": a " + m.task().id() + " dataset, but model=" + cliName
                    + " is a classifier; use a classification dataset or a " + m.task().id() + " model");
        }
        if (isImageModel()) {
            ImageShape.of(m); // names the dataset and the two accepted forms when it is not images
            if (m.binary()) {
                throw new ConfigException("data=" + m.name() + ": binary labels, but model=" + cliName + " has a softmax head; use one-hot multi-class labels");
            }
            return;
        }
        if (m.featureShape().length != 1) {
            throw new ConfigException("data=" + m.name() + ": features have shape " + Arrays.toString(m.featureShape())
                    + " but model=" + cliName + " takes flat vectors [d]; use a dataset with flat features");
        }
        if (this == SCRATCH_MLP && m.binary()) {
            throw new ConfigException("data=" + m.name() + ": binary labels, but model=scratch-mlp has a softmax head; use a multi-class dataset such as seed-quadrants");
        }
    }

    private void requireTask(Manifest m, Task task, String what) {
        if (m.task() != task) {
            throw new ConfigException("data=" + m.name() + ": a " + m.task().id() + " dataset, but model=" + cliName + " is " + what
                    + " and needs a " + task.id() + " dataset; use one (see prepare-data's sources) or another model");
        }
    }

    private void requireSequences(Manifest m) {
        if (m.featureShape().length != 2) {
            throw new ConfigException("data=" + m.name() + ": features have shape " + Arrays.toString(m.featureShape())
                    + " but model=" + cliName + " reads sequences [C, T]; use a sequence dataset such as seq-classify or sines");
        }
    }

    /** Architectures that take images. */
    public boolean isImageModel() {
        return this == SMALL_CNN || this == VGG_STYLE_CNN || this == RESNET50_TRANSFER;
    }

    /** The DL4J graph for a dataset. scratch-mlp's graph is the DL4J twin its weights are saved in. */
    public ComputationGraphConfiguration configure(Manifest m, ModelConfig c, NetDefaults defaults) {
        checkFits(m);
        try {
            return build(m, c, defaults);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage()); // a Spec's range check on a value the user chose
        }
    }

    private ComputationGraphConfiguration build(Manifest m, ModelConfig c, NetDefaults defaults) {
        return switch (this) {
            case MLP -> Mlp.configure(new Mlp.Spec(m.featureWidth(), c.hidden(),
                    m.numClasses(), Head.forClasses(m.numClasses(), m.binary()),
                    c.dropout()), defaults);
            case SMALL_CNN -> SmallCnn.configure(SmallCnn.Spec.seed(ImageShape.of(m), m.featureShape().length == 1, m.numClasses(),
                    c.dropout(), c.labelSmoothingOr(0.1)), defaults);
            case VGG_STYLE_CNN -> VggStyleCnn.configure(VggStyleCnn.Spec.seed(ImageShape.of(m), m.featureShape().length == 1,
                    m.numClasses(), c.labelSmoothingOr(0.1)), defaults);
            case RESNET50_TRANSFER -> ResNet50Transfer.configure(ResNet50Transfer.Spec.seed(ImageShape.of(m), m.featureShape().length == 1,
                    m.numClasses(), c.transfer(), c.labelSmoothingOr(0.1)), defaults);
            case GPT -> {
                int seqLen = m.featureShape()[0];
                int context = c.context();
                if (context < seqLen) {
                    throw new ConfigException("context=" + context + ": must be >= the dataset's seq-len " + seqLen + " (data=" + m.name() + ")");
                }
                int width = c.width();
                int heads = c.heads();
                if (width % heads != 0) {
                    throw new ConfigException("heads=" + heads + ": must divide width=" + width);
                }
                yield Gpt.configure(new Gpt.Spec(m.numClasses(), context, c.layersOr(6), heads, width,
                        c.ffWidth(), c.dropout()),
                        seqLen, m.batchSize(), defaults);
            }
            case ENCODER_CLASSIFIER -> {
                int seqLen = m.featureShape()[0];
                int width = c.width();
                int heads = c.heads();
                if (width % heads != 0) {
                    throw new ConfigException("heads=" + heads + ": must divide width=" + width);
                }
                int context = Math.max(seqLen, c.context());
                yield EncoderClassifier.configure(new EncoderClassifier.Spec(Integer.parseInt(m.attribute("vocab_size")), context,
                        c.layersOr(6), heads, width, c.ffWidth(), m.numClasses(),
                        c.dropout()), seqLen, m.batchSize(), defaults);
            }
            case REGULARIZED_MLP -> RegularizedMlp.configure(new RegularizedMlp.Spec(m.featureWidth(),
                    c.hidden(), m.numClasses(), Head.forClasses(m.numClasses(), m.binary()),
                    c.dropout(), c.dropout2()), defaults);
            case SCRATCH_MLP -> throw new IllegalStateException("scratch-mlp is built by the scratch trainer");
            case VANILLA_RNN -> VanillaRnn.configure(new VanillaRnn.Spec(m.featureShape()[0], c.hidden(),
                    m.numClasses(), Head.forClasses(m.numClasses(), m.binary())), defaults);
            case LSTM_CLASSIFIER -> LstmClassifier.configure(new LstmClassifier.Spec(m.featureShape()[0],
                    c.hidden(), c.layersOr(2), m.numClasses(),
                    Head.forClasses(m.numClasses(), m.binary()), c.dropout(), true), defaults);
            case LSTM_FORECASTER -> LstmForecaster.configure(new LstmForecaster.Spec(m.featureShape()[0],
                    c.hidden(), c.layersOr(2), m.labelWidth()), defaults);
            case SEQ2SEQ -> {
                TokenLayout layout = TokenLayout.of(m);
                yield Seq2Seq.configure(new Seq2Seq.Spec(layout.vocabSize(), c.embed(),
                        c.hidden(), layout.sourceLength(), layout.targetLength()), defaults);
            }
        };
    }
}
