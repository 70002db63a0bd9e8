package dev.kindling.core.layer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The seed's Seq2Seq body as one layer: a shared embedding, an LSTM encoder over the source, and an
 * LSTM decoder over the (teacher-forced) decoder input whose initial (h, c) is the encoder's final
 * (h, c). DL4J graph vertices pass one activation array between them and have no way to hand an
 * LSTM's cell state to another layer, so both LSTMs live in this SameDiff layer, unrolled over the
 * fixed source and target lengths. PyTorch's gate order and equations:
 * {@code i, f, g, o = split(x W + h U + b); c = f c + i g; h = o tanh(c)}, from {@code h = c = 0}.
 *
 * <pre>
 * tensor      DL4J              seed (PyTorch)                      note
 * input       [B, Ts + Td]      (src (B, Ts), tgt (B, Td))          token ids as floats, one array
 * embed       [V, E]            embed.weight                        shared by source and target; N(0, 1)
 * encWx       [E, 4H]           encoder.weight_ih_l0 (4H, E)^T      gates i, f, g, o
 * encWh       [H, 4H]           encoder.weight_hh_l0^T
 * encB        [1, 4H]           bias_ih + bias_hh                   one bias: same function
 * dec*        as enc*          decoder.*                           starts from the encoder's (h, c)
 * output      [B, H, Td]        dec_out (B, Td, H)                  NCW for the RnnOutputLayer (fc_out)
 * </pre>
 * Weights start U(-1/sqrt(H), 1/sqrt(H)) as nn.LSTM's. The no-arg constructor is for JSON (saving,
 * Spark).
 */
public final class EncoderDecoderLstm extends SameDiffLayer implements HalfPrecisionMatmuls {
    public static final String EMBED = "embed";

    @JsonProperty private int vocab;
    @JsonProperty private int embed;
    @JsonProperty private int hidden;
    @JsonProperty private int sourceLength;
    @JsonProperty private int targetLength;
    /** What the LSTMs' matrix products' operands are rounded to: FLOAT, or BFLOAT16 / HALF under --precision=bf16 / fp16. */
    @JsonProperty private DataType matmuls = DataType.FLOAT;
    /** fp16's loss scale a fresh model starts at; 1: none ({@link LossScaledSameDiffLayer}). */
    @JsonProperty private double initialLossScale = 1.0;

    /** For JSON. */
    public EncoderDecoderLstm() {
    }

    /**
     * @param vocab        V token ids (>= 2)
     * @param embed        E (>= 1)
     * @param hidden       H (>= 1)
     * @param sourceLength Ts (>= 1)
     * @param targetLength Td (>= 1)
     */
    public EncoderDecoderLstm(int vocab, int embed, int hidden, int sourceLength, int targetLength) {
        if (vocab < 2 || embed < 1 || hidden < 1 || sourceLength < 1 || targetLength < 1) {
            throw new IllegalArgumentException("vocab=" + vocab + " embed=" + embed + " hidden=" + hidden + " sourceLength="
                    + sourceLength + " targetLength=" + targetLength + ": need vocab >= 2 and the rest >= 1");
        }
        this.vocab = vocab;
        this.embed = embed;
        this.hidden = hidden;
        this.sourceLength = sourceLength;
        this.targetLength = targetLength;
    }

    @Override
    public void setMatmuls(DataType type) {
        this.matmuls = type;
    }

    @Override
    public DataType getMatmuls() {
        return matmuls;
    }

    @Override
    public void setInitialLossScale(double scale) {
        this.initialLossScale = HalfPrecisionMatmuls.checkedLossScale(getLayerName(), scale);
    }

    @Override
    public double getInitialLossScale() {
        return initialLossScale;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int index, INDArray paramsView,
                             boolean initializeParams, DataType dataType) {
        // DL4J's SameDiffLayer.instantiate, with the loss-scaled runtime (DL4J gives SameDiff layers no listeners)
        return LayerWiring.wire(new LossScaledSameDiffLayer(conf, dataType), initializer(), conf, List.of(), index, paramsView,
                initializeParams);
    }

    public int getHidden() {
        return hidden;
    }

    public int getSourceLength() {
        return sourceLength;
    }

    public int getTargetLength() {
        return targetLength;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable x, Map<String, SDVariable> p, SDVariable mask) {
        int width = sourceLength + targetLength;
        // The embedding lookup as one-hot x table (exact: one 1 per row). M2.1's Gather.doDiff builds a SameDiff while
        // loop under a fixed sub-function name, so a layer with a gather fails at backprop ("Unable to replace samediff
        // namespace"); a matmul differentiates plainly. One lookup for source and decoder input: the table is shared.
        SDVariable ids = x.castTo(DataType.INT);                                                    // [B, Ts + Td]
        SDVariable oneHot = sd.oneHot(ids, vocab, -1, 1.0, 0.0, x.dataType());                      // [B, Ts + Td, V]
        SDVariable e = oneHot.reshape(-1, vocab).mmul(p.get(EMBED)).reshape(-1, width, embed);      // [B, Ts + Td, E]
        SDVariable src = e.get(SDIndex.all(), SDIndex.interval(0, sourceLength), SDIndex.all());    // [B, Ts, E]
        SDVariable tgt = e.get(SDIndex.all(), SDIndex.interval(sourceLength, width), SDIndex.all()); // [B, Td, E]
        SDVariable[] state = run(sd, src, sourceLength, p, "enc", null, null);
        List<SDVariable> outputs = new ArrayList<>();
        run(sd, tgt, targetLength, p, "dec", state, outputs);
        SDVariable out = sd.stack(2, outputs.toArray(new SDVariable[0]));                            // [B, H, Td]
        // Token ids have no gradient, but DL4J asks SameDiff for this layer's input gradient: give the input an
        // exact zero path to the output (0 * sum) so that gradient exists (zeros).
        // Every op output here must feed the output: M2.1's SameDiff.createGradFunction, given no loss variable,
        // guesses it from the variables no op consumes (bestGuessLossVariables); a single dangling variable (here once:
        // the unused forget gate of the first encoder step) became the loss, and the output's grad was never created.
        out = out.add(x.sum(true, 1).mul(0.0).reshape(-1, 1, 1));                                  // [B, H, Td]
        return LayerNorm.halveGradient(sd, out); // M2.1's doubled SameDiff-layer gradients; see LayerNorm
    }

    /** One LSTM over {@code steps} embedded tokens [B, T, E] from (h, c) = {@code state} (zeros when null); returns the final (h, c). */
    private SDVariable[] run(SameDiff sd, SDVariable e, int steps, Map<String, SDVariable> p, String prefix,
                             SDVariable[] state, List<SDVariable> outputs) {
        SDVariable xw = TransformerOps.matmul(sd, e.reshape(-1, embed), p.get(prefix + "Wx"), false, matmuls).add(p.get(prefix + "B")) // [B*T, 4H]
                .reshape(-1, steps, 4L * hidden);                                                   // [B, T, 4H]
        SDVariable h = state == null ? null : state[0];
        SDVariable c = state == null ? null : state[1];
        for (int t = 0; t < steps; t++) {
            SDVariable z = xw.get(SDIndex.all(), SDIndex.point(t), SDIndex.all());                  // [B, 4H]
            if (h != null) {
                z = z.add(TransformerOps.matmul(sd, h, p.get(prefix + "Wh"), false, matmuls));
            }
            SDVariable i = sd.nn().sigmoid(gate(z, 0));
            SDVariable g = sd.math().tanh(gate(z, 2));
            SDVariable o = sd.nn().sigmoid(gate(z, 3));
            // From c = 0 the forget gate multiplies zero: leave it out rather than compute it unused. An op output
            // nothing consumes is a dangling variable that M2.1's createGradFunction takes for the loss (see
            // defineLayer), and backprop then fails with "No variable/placeholder with name <output>-grad exists".
            c = c == null ? i.mul(g) : sd.nn().sigmoid(gate(z, 1)).mul(c).add(i.mul(g));              // [B, H]
            h = o.mul(sd.math().tanh(c));                                                           // [B, H]
            if (outputs != null) {
                outputs.add(h);
            }
        }
        return new SDVariable[] {h, c};
    }

    private SDVariable gate(SDVariable z, int k) {
        return z.get(SDIndex.all(), SDIndex.interval((long) k * hidden, (long) (k + 1) * hidden));  // [B, H]
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.clear();
        params.addWeightParam(EMBED, vocab, embed);
        for (String prefix : new String[] {"enc", "dec"}) {
            params.addWeightParam(prefix + "Wx", embed, 4L * hidden);
            params.addWeightParam(prefix + "Wh", hidden, 4L * hidden);
            params.addBiasParam(prefix + "B", 1, 4L * hidden);
        }
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        double bound = 1.0 / Math.sqrt(hidden);
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            INDArray a = e.getValue();
            if (e.getKey().equals(EMBED)) {
                a.assign(Nd4j.randn(a.dataType(), a.shape()));
            } else {
                a.assign(Nd4j.rand(a.dataType(), a.shape()).muli(2 * bound).subi(bound));
            }
        }
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        inputWidth(inputType);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        inputWidth(inputType);
        return InputType.recurrent(hidden, targetLength);
    }

    private void inputWidth(InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeFeedForward ff) || ff.getSize() != sourceLength + targetLength) {
            throw new IllegalStateException("EncoderDecoderLstm '" + getLayerName() + "': input type=" + inputType
                    + ": must be feed-forward token ids [B, " + (sourceLength + targetLength) + "] (source then decoder input)");
        }
    }
}
