package dev.kindling.core.scratch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Multilayer perceptron with hand-written backprop (seed: class {@code MLP}): {@link Layer}s with a
 * {@link Relu} between consecutive layers (none after the last) and a {@link SoftmaxCrossEntropy}
 * loss.
 *
 * <pre>
 * dims = [d0, d1, ..., dL]      e.g. the seed's [2, 64, 32, 4]
 * x          [B, d0]
 * layers.i   [B, d_i] -> [B, d_{i+1}],  ReLU after every layer but the last
 * logits     [B, dL]
 * y          [B]                class ids in [0, dL)
 * </pre>
 *
 * Training state (caches, gradients) lives in the object, as in the seed: call
 * {@link #forward(double[][], int[])}, then {@link #backward()}, then {@link #step(double)}.
 * {@link #logits} and {@link #predict} do not touch that state. Not thread-safe.
 */
public final class ScratchMlp {
    private final int[] dims;
    private final List<Layer> layers;
    private final List<Relu> relus;
    private final SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();

    private ScratchMlp(int[] dims, List<Layer> layers) {
        this.dims = dims;
        this.layers = Collections.unmodifiableList(layers);
        List<Relu> r = new ArrayList<>();
        for (int i = 0; i < layers.size() - 1; i++) {
            r.add(new Relu());
        }
        this.relus = Collections.unmodifiableList(r);
    }

    /**
     * He-initialized network; layer i draws its weights from {@code rng} after layer i - 1.
     *
     * @param dims layer widths, length >= 2, every entry >= 1
     * @param rng  the caller's random stream (the only source of randomness)
     */
    public static ScratchMlp create(int[] dims, Random rng) {
        int[] d = checkDims(dims);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i + 1 < d.length; i++) {
            layers.add(Layer.he(d[i], d[i + 1], rng));
        }
        return new ScratchMlp(d, layers);
    }

    /** He-initialized network drawn from {@code new Random(seed)}. */
    public static ScratchMlp create(int[] dims, long seed) {
        return create(dims, new Random(seed));
    }

    /** Network with every parameter zero; for loading weights from elsewhere. */
    public static ScratchMlp zeros(int[] dims) {
        int[] d = checkDims(dims);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i + 1 < d.length; i++) {
            layers.add(Layer.zeros(d[i], d[i + 1]));
        }
        return new ScratchMlp(d, layers);
    }

    private static int[] checkDims(int[] dims) {
        if (dims == null || dims.length < 2) {
            throw new IllegalArgumentException("dims=" + Arrays.toString(dims)
                    + ": need at least an input and an output width, e.g. [2, 64, 32, 4]");
        }
        for (int d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException("dims=" + Arrays.toString(dims)
                        + ": every width must be >= 1");
            }
        }
        return dims.clone();
    }

    /** Layer widths, a copy. */
    public int[] dims() {
        return dims.clone();
    }

    /** The layers in order, unmodifiable list of live layers. */
    public List<Layer> layers() {
        return layers;
    }

    /** Forward pass with caching; returns the mean cross-entropy (seed: {@code MLP.forward}). */
    public double forward(double[][] x, int[] y) {
        double[][] a = x; // [B, d0]
        for (int i = 0; i < layers.size(); i++) {
            double[][] z = layers.get(i).forward(a); // [B, d_{i+1}]
            a = i < relus.size() ? relus.get(i).forward(z) : z;
        }
        return loss.forward(a, y);
    }

    /** Backward pass for the last {@link #forward}; fills every layer's gradient buffers. */
    public void backward() {
        double[][] d = loss.backward(); // [B, dL]
        for (int i = layers.size() - 1; i >= 0; i--) {
            if (i < relus.size()) {
                d = relus.get(i).backward(d);
            }
            d = layers.get(i).backward(d); // [B, d_i]
        }
    }

    /**
     * SGD step on every layer.
     *
     * @param lr learning rate (finite, >= 0)
     */
    public void step(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("lr=" + lr + ": must be finite and >= 0");
        }
        for (Layer layer : layers) {
            layer.update(lr);
        }
    }

    /** Pre-softmax outputs, [B, dL]; leaves the training caches alone. */
    public double[][] logits(double[][] x) {
        double[][] a = x;
        for (int i = 0; i < layers.size(); i++) {
            double[][] z = layers.get(i).apply(a);
            a = i < relus.size() ? Relu.apply(z) : z;
        }
        return a;
    }

    /** Softmax probabilities, [B, dL]. */
    public double[][] probabilities(double[][] x) {
        return SoftmaxCrossEntropy.softmax(logits(x));
    }

    /** Arg-max class per row, [B]; ties go to the lowest index, as in NumPy's argmax. */
    public int[] predict(double[][] x) {
        double[][] logits = logits(x);
        int[] out = new int[logits.length];
        for (int r = 0; r < logits.length; r++) {
            int best = 0;
            for (int j = 1; j < logits[r].length; j++) {
                if (logits[r][j] > logits[r][best]) {
                    best = j;
                }
            }
            out[r] = best;
        }
        return out;
    }

    /** Fraction of rows whose prediction equals the label, in [0, 1]. */
    public double accuracy(double[][] x, int[] y) {
        if (x.length != y.length || y.length == 0) {
            throw new IllegalArgumentException("rows=" + x.length + ", labels=" + y.length
                    + ": must be equal and >= 1");
        }
        int[] p = predict(x);
        int correct = 0;
        for (int r = 0; r < p.length; r++) {
            if (p[r] == y[r]) {
                correct++;
            }
        }
        return (double) correct / y.length;
    }

    /** Number of scalar parameters. */
    public int parameterCount() {
        int n = 0;
        for (Layer layer : layers) {
            n += (layer.in() + 1) * layer.out();
        }
        return n;
    }

    /**
     * Live views of every parameter and its gradient buffer, named {@code layers.i.W} and
     * {@code layers.i.b} as in the seed.
     */
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            out.add(new Parameter("layers." + i + ".W", layer.weights(), layer.weightGradient()));
            out.add(new Parameter("layers." + i + ".b", layer.bias(), layer.biasGradient()));
        }
        return List.copyOf(out);
    }

    /** The loss on one fixed batch as a {@link GradientChecker.Objective}. */
    public GradientChecker.Objective objective(double[][] x, int[] y) {
        double[][] xs = x;
        int[] ys = y.clone();
        return new GradientChecker.Objective() {
            @Override
            public List<Parameter> parameters() {
                return ScratchMlp.this.parameters();
            }

            @Override
            public double loss() {
                return forward(xs, ys);
            }

            @Override
            public void computeGradients() {
                forward(xs, ys);
                backward();
            }
        };
    }
}
