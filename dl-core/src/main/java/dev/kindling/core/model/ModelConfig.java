package dev.kindling.core.model;

import dev.kindling.core.config.Range;
import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import java.io.Serializable;
import java.util.List;

/**
 * Which architecture and its topology knobs ({@code --model}, {@code --hidden}, ...). Sizes the
 * dataset decides (inputs, classes, sequence length) come from the manifest, not from here.
 *
 * @param arch           the registry entry
 * @param hidden         MLP first hidden width (the second has half; even), RNN/LSTM hidden width per direction
 * @param layers         stacked LSTM layers or transformer blocks; null: the architecture's seed value
 * @param embed          seq2seq token embedding width
 * @param dropout        dropout probability
 * @param dropout2       regularized-mlp's second dropout
 * @param labelSmoothing image models' label smoothing; null: the seed's 0.1
 * @param transfer       resnet50-transfer strategy
 * @param weights        resnet50-transfer backbone zip URI; null: random initialisation
 * @param context        transformer position-table rows
 * @param heads          attention heads
 * @param width          transformer width d_model
 * @param ffWidth        transformer feed-forward width d_ff
 */
public record ModelConfig(Architecture arch, int hidden, Integer layers, int embed, double dropout, double dropout2,
                          Double labelSmoothing, ResNet50Transfer.Strategy transfer, String weights, int context, int heads,
                          int width, int ffWidth) implements Serializable {
    public static final Setting<Architecture> MODEL = Setting.choice("model", Architecture.MLP, Architecture.class,
            "architecture (docs/architectures.md)");
    public static final Setting<Integer> HIDDEN = Setting.integer("hidden", 128, Range.atLeast(1),
            "MLP hidden width h, the second layer has h/2 (mlp, regularized-mlp: even, >= 2); RNN/LSTM/seq2seq hidden width H per direction");
    public static final Setting<Integer> LAYERS = Setting.integer("layers", null, Range.atLeast(1),
            "stacked layers: LSTM layers of lstm-classifier and lstm-forecaster (unset: the seed's 2), transformer blocks of gpt and encoder-classifier (unset: the seed's 6)");
    public static final Setting<Integer> EMBED = Setting.integer("embed", 64, Range.atLeast(1), "seq2seq: token embedding width E");
    public static final Setting<Double> DROPOUT = Setting.real("dropout", "0.3", Range.closedOpen(0, 1),
            "dropout probability; mlp: after the first hidden layer; gpt: embeddings, attention weights, feed-forward (gpt's default: 0.1, the seed's)");
    public static final Setting<Double> DROPOUT2 = Setting.real("dropout2", "0.2", Range.closedOpen(0, 1),
            "regularized-mlp: dropout probability after the second hidden block");
    public static final Setting<Double> LABEL_SMOOTHING = Setting.real("label-smoothing", null, Range.closedOpen(0, 1),
            "cross-entropy label smoothing eps for small-cnn, vgg-style-cnn and resnet50-transfer (unset: the seed's 0.1)");
    public static final Setting<ResNet50Transfer.Strategy> TRANSFER = Setting.choice("transfer", ResNet50Transfer.Strategy.FROZEN,
            ResNet50Transfer.Strategy.class, "resnet50-transfer strategy: frozen (backbone frozen, head trained) | finetune (layer4 at 0.1 x lr, layer3 at 0.05 x lr, head at lr; stem, layer1, layer2 fixed)");
    public static final Setting<String> WEIGHTS = Setting.string("weights", null,
            "resnet50-transfer: URI of a DL4J zip of the zoo's ResNet50 (e.g. resnet50_dl4j_inference.v3.zip) whose backbone weights are loaded; never downloaded; unset: random initialisation");
    public static final Setting<Integer> CONTEXT = Setting.integer("context", 512, Range.atLeast(1),
            "gpt, encoder-classifier: position-table rows, the seed's max_seq_len (>= the dataset's seq-len); generation crops prompts to the dataset's seq-len");
    public static final Setting<Integer> HEADS = Setting.integer("heads", 8, Range.atLeast(1), "gpt, encoder-classifier: attention heads (divides width)");
    public static final Setting<Integer> WIDTH = Setting.integer("width", 256, Range.atLeast(1), "gpt, encoder-classifier: model width d_model");
    public static final Setting<Integer> FF_WIDTH = Setting.integer("ff-width", 1024, Range.atLeast(1), "gpt, encoder-classifier: feed-forward width d_ff");

    public static final List<Setting<?>> SETTINGS = List.of(MODEL, HIDDEN, LAYERS, EMBED, DROPOUT, DROPOUT2, LABEL_SMOOTHING, TRANSFER,
            WEIGHTS, CONTEXT, HEADS, WIDTH, FF_WIDTH);

    public static ModelConfig from(Settings s) {
        return new ModelConfig(s.require(MODEL), s.require(HIDDEN), s.get(LAYERS), s.require(EMBED), s.require(DROPOUT), s.require(DROPOUT2),
                s.get(LABEL_SMOOTHING), s.require(TRANSFER), s.get(WEIGHTS), s.require(CONTEXT), s.require(HEADS), s.require(WIDTH),
                s.require(FF_WIDTH));
    }

    /** {@code --layers}, or the architecture's seed value when unset. */
    public int layersOr(int seedValue) {
        return layers == null ? seedValue : layers;
    }

    /** {@code --label-smoothing}, or the seed's value when unset. */
    public double labelSmoothingOr(double seedValue) {
        return labelSmoothing == null ? seedValue : labelSmoothing;
    }
}
