package dev.kindling.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.kindling.core.DoublePrecision;
import dev.kindling.core.config.Choice;
import dev.kindling.core.layer.LayerNorm;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.FixedSchedule;

/**
 * Every {@code --optimizer} against its published update rule, written here in plain doubles, fed the
 * gradient DL4J computed at each step of a tiny DOUBLE network (TinyNet's topology), weight decay on.
 */
@ExtendWith(DoublePrecision.class)
class OptimizersTest {
    private static final int STEPS = 5;
    private static final double WD = 0.05;

    static OptimizerSpec spec(String name, int accumulate) {
        double lr = name.equals("lion") ? 3e-3 : name.equals("sgd") || name.equals("nesterov") ? 0.05 : 1e-2;
        return new OptimizerSpec(Choice.byName(Optimizer.class, "optimizer", name), new FixedSchedule(lr), name.equals("muon") ? Muon.MOMENTUM : 0.9,
                0.9, name.equals("lion") ? Lion.BETA2 : AdamW.BETA2, WD, accumulate);
    }

    static ComputationGraph build(OptimizerSpec spec) {
        NetDefaults d = spec.defaults(TinyNet.SEED, DataType.DOUBLE);
        ComputationGraphConfiguration conf = spec.finish(d.finish(d.builder().weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .addLayer("fc", new DenseLayer.Builder().nIn(3).nOut(4).activation(Activation.IDENTITY).build(), "in")
                .addLayer("ln", new LayerNorm(4), "fc")
                .addLayer("relu", new DenseLayer.Builder().nOut(5).activation(Activation.RELU).build(), "ln")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build(), "relu")
                .setOutputs("out")
                .setInputTypes(InputType.feedForward(3))
                .build()));
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    /** The gradient DL4J computes, per variable, as the minibatch mean. */
    static Map<String, double[]> gradients(ComputationGraph net, DataSet data) {
        net.setInputs(data.getFeatures());
        net.setLabels(data.getLabels());
        net.computeGradientAndScore();
        Map<String, double[]> out = new LinkedHashMap<>();
        net.gradient().gradientForVariable().forEach((k, g) -> out.put(k, Nd4j.toFlattened('f', g).divi(TinyNet.BATCH).toDoubleVector()));
        return out;
    }

    static double[] param(ComputationGraph net, String key) {
        int sep = key.lastIndexOf('_');
        // DL4J's flattened order ('f'): the reference reads matrices in it
        return Nd4j.toFlattened('f', net.getLayer(key.substring(0, sep)).getParam(key.substring(sep + 1))).toDoubleVector();
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "nesterov", "adam", "adamw", "lion", "muon"})
    void followsItsPublishedUpdateRule(String name) {
        OptimizerSpec spec = spec(name, 1);
        ComputationGraph net = build(spec);
        DataSet data = TinyNet.data();
        Reference ref = new Reference(spec, net);
        for (int t = 1; t <= STEPS; t++) {
            Map<String, double[]> g = gradients(net, data);
            ref.step(g, t);
            net.fit(data);
            for (String key : g.keySet()) {
                double[] actual = param(net, key);
                double[] expected = ref.params.get(key);
                for (int i = 0; i < actual.length; i++) {
                    assertEquals(expected[i], actual[i], 1e-9, name + " " + key + "[" + i + "] step " + t);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "nesterov", "adam", "adamw", "lion", "muon"})
    void survivesJsonAndKeepsItsUpdaters(String name) {
        ComputationGraph net = build(spec(name, 3));
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(net.getConfiguration().toJson());
        assertEquals(net.getConfiguration(), back);
        BaseLayer fc = (BaseLayer) ((org.deeplearning4j.nn.conf.graph.LayerVertex) back.getVertices().get("fc")).getLayerConf().getLayer();
        Accumulate acc = assertInstanceOf(Accumulate.class, fc.getIUpdater());
        assertEquals(3, acc.k());
        if (name.equals("muon")) {
            assertEquals("fc_W", assertInstanceOf(Muon.class, acc.inner()).param());
        }
    }

    /** Plain-double implementations of the published rules, per variable. */
    static final class Reference {
        final OptimizerSpec spec;
        final double lr;
        final Map<String, double[]> params = new LinkedHashMap<>();
        final Map<String, double[]> m = new HashMap<>();
        final Map<String, double[]> v = new HashMap<>();
        final Map<String, long[]> matrices = new HashMap<>();

        Reference(OptimizerSpec spec, ComputationGraph net) {
            this.spec = spec;
            this.lr = spec.lr().valueAt(0, 0);
            for (String key : net.paramTable().keySet()) {
                params.put(key, param(net, key));
            }
            if (spec.name().equals("muon")) {
                matrices.put("fc_W", new long[] {3, 4});
                matrices.put("relu_W", new long[] {4, 5});
            }
        }

        void step(Map<String, double[]> grads, int t) {
            grads.forEach((key, g0) -> {
                double[] p = params.get(key);
                double[] g = g0.clone();
                int n = p.length;
                double[] mk = m.computeIfAbsent(key, k -> new double[n]);
                double[] vk = v.computeIfAbsent(key, k -> new double[n]);
                String rule = matrices.containsKey(key) ? "muon" : spec.name().equals("muon") ? "adamw" : spec.name();
                if (spec.coupledDecay()) {
                    for (int i = 0; i < n; i++) {
                        g[i] += WD * p[i];                                   // L2: PyTorch's weight_decay
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        p[i] -= lr * WD * p[i];                              // decoupled: p *= 1 - lr*wd
                    }
                }
                double[] step = new double[n];
                switch (rule) {
                    case "sgd", "nesterov" -> {
                        for (int i = 0; i < n; i++) {
                            mk[i] = spec.momentum() * mk[i] + g[i];
                            step[i] = lr * (rule.equals("nesterov") ? g[i] + spec.momentum() * mk[i] : mk[i]);
                        }
                    }
                    case "adam", "adamw" -> {
                        double c1 = 1 - Math.pow(spec.beta1(), t);
                        double c2 = 1 - Math.pow(spec.beta2(), t);
                        for (int i = 0; i < n; i++) {
                            mk[i] = spec.beta1() * mk[i] + (1 - spec.beta1()) * g[i];
                            vk[i] = spec.beta2() * vk[i] + (1 - spec.beta2()) * g[i] * g[i];
                            // Kingma & Ba, Algorithm 1's efficient form: lr_t = lr*sqrt(1-b2^t)/(1-b1^t)
                            step[i] = lr * Math.sqrt(c2) / c1 * mk[i] / (Math.sqrt(vk[i]) + AdamW.EPSILON);
                        }
                    }
                    case "lion" -> {
                        for (int i = 0; i < n; i++) {
                            double c = spec.beta1() * mk[i] + (1 - spec.beta1()) * g[i];
                            step[i] = lr * Math.signum(c);
                            mk[i] = spec.beta2() * mk[i] + (1 - spec.beta2()) * g[i];
                        }
                    }
                    case "muon" -> step = muon(matrices.get(key), g, mk);
                    default -> throw new IllegalStateException(rule);
                }
                for (int i = 0; i < n; i++) {
                    p[i] -= step[i];
                }
            });
        }

        /** Keller Jordan's Muon on PyTorch's (out, in) weight; DL4J's W is (in, out), column-major. */
        double[] muon(long[] shape, double[] g, double[] buf) {
            int in = (int) shape[0], out = (int) shape[1];
            double mu = spec.momentum();
            double[][] u = new double[out][in];                  // (out, in)
            for (int i = 0; i < g.length; i++) {
                buf[i] = mu * buf[i] + g[i];
                u[i / in][i % in] = g[i] + mu * buf[i];          // 'f' order: index = r + c*in, r over in
            }
            boolean tall = out > in;
            double[][] x = tall ? transpose(u) : u;
            double norm = 0;
            for (double[] row : x) {
                for (double e : row) {
                    norm += e * e;
                }
            }
            norm = Math.sqrt(norm) + 1e-7;
            for (double[] row : x) {
                for (int j = 0; j < row.length; j++) {
                    row[j] /= norm;
                }
            }
            for (int s = 0; s < 5; s++) {
                double[][] a = mul(x, transpose(x));
                double[][] b = add(scale(a, -4.7750), scale(mul(a, a), 2.0315));
                x = add(scale(x, 3.4445), mul(b, x));
            }
            double[][] o = tall ? transpose(x) : x;
            double k = lr * Math.sqrt(Math.max(1.0, (double) out / in));
            double[] step = new double[g.length];
            for (int i = 0; i < g.length; i++) {
                step[i] = k * o[i / in][i % in];
            }
            return step;
        }

        static double[][] transpose(double[][] a) {
            double[][] t = new double[a[0].length][a.length];
            for (int i = 0; i < a.length; i++) {
                for (int j = 0; j < a[0].length; j++) {
                    t[j][i] = a[i][j];
                }
            }
            return t;
        }

        static double[][] mul(double[][] a, double[][] b) {
            double[][] c = new double[a.length][b[0].length];
            for (int i = 0; i < a.length; i++) {
                for (int j = 0; j < b[0].length; j++) {
                    for (int k = 0; k < b.length; k++) {
                        c[i][j] += a[i][k] * b[k][j];
                    }
                }
            }
            return c;
        }

        static double[][] scale(double[][] a, double s) {
            double[][] c = new double[a.length][a[0].length];
            for (int i = 0; i < a.length; i++) {
                for (int j = 0; j < a[0].length; j++) {
                    c[i][j] = a[i][j] * s;
                }
            }
            return c;
        }

        static double[][] add(double[][] a, double[][] b) {
            double[][] c = new double[a.length][a[0].length];
            for (int i = 0; i < a.length; i++) {
                for (int j = 0; j < a[0].length; j++) {
                    c[i][j] = a[i][j] + b[i][j];
                }
            }
            return c;
        }
    }
}
