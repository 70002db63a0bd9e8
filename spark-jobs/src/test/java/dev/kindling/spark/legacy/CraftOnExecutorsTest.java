package dev.kindling.spark.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.Settings;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.SeedTasks;
import dev.kindling.core.data.Shards;
import dev.kindling.core.model.Architecture;
import dev.kindling.core.model.ModelConfig;
import dev.kindling.core.optim.Accumulate;
import dev.kindling.core.optim.OptimConfig;
import dev.kindling.core.optim.OptimizerSpec;
import dev.kindling.core.schedule.LrSchedules;
import dev.kindling.core.schedule.ScheduleConfig;
import dev.kindling.spark.config.DistConfig;
import dev.kindling.spark.config.SparkMaster;
import dev.kindling.spark.config.TestSettings;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.job.SparkJobs;
import java.net.DatagramSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * The craft updaters travel to the shared master's workers inside the configuration and run there:
 * each worker's model carries the Accumulate wrapper around AdamW with the per-step warmup-cosine
 * schedule, and its rate follows that worker's own iteration counter.
 */
class CraftOnExecutorsTest {
    static final ConcurrentLinkedQueue<double[]> SEEN = new ConcurrentLinkedQueue<>();
    static final Map<String, Boolean> WRAPPED = new ConcurrentHashMap<>();

    /** Records (iteration, rate the trunk's updater gives at it) on every worker. */
    public static final class RateProbe extends BaseTrainingListener implements java.io.Serializable {
        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            ComputationGraph g = (ComputationGraph) model;
            IUpdater u = ((BaseLayer) g.getLayer(dev.kindling.core.model.Mlp.TRUNK).conf().getLayer()).getIUpdater();
            WRAPPED.put(u.getClass().getSimpleName(), u instanceof Accumulate);
            // DL4J calls iterationDone with the count of the step just taken, then increments it
            SEEN.add(new double[] {iteration, u.getLearningRate(iteration, epoch)});
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void accumulationAndPerStepScheduleRunOnSharedWorkers(@TempDir Path dir) throws Exception {
        HadoopStorage storage = new HadoopStorage();
        String data = storage.qualify(dir.resolve("sum").toString());
        Manifest m = DatasetWriter.write(storage, data, SeedTasks.sum(5), 64, 5);
        List<String> train = Shards.paths(storage, data, m, "train", null);
        int port;
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        Settings c = TestSettings.of("dist", "shared", "master", "local[2]", "aeron-port", String.valueOf(port), "schedule", "warmup-cosine",
                "warmup-steps", "2", "total-steps", "6", "accumulate", "2", "lr", "1e-2");
        LrSchedules lr = LrSchedules.from(ScheduleConfig.from(c), 7, 1);
        OptimizerSpec spec = OptimizerSpec.from(OptimConfig.from(c), lr.schedule());
        SEEN.clear();
        WRAPPED.clear();
        try (JavaSparkContext sc = SparkJobs.context(new SparkMaster("local[2]"), "craft")) {
            ComputationGraph net = new ComputationGraph(spec.finish(Architecture.MLP.configure(m, ModelConfig.from(c), spec.defaults(5, DataType.FLOAT))));
            net.init();
            SparkComputationGraph sparkNet = new SparkComputationGraph(sc, net, Masters.build(DistConfig.from(c), 42, 64, 2, 2));
            sparkNet.setListeners(List.of(new RateProbe()));
            SparkTrainer trainer = new SparkTrainer(sc, sparkNet, train, train, m.split("train").examples(), m, 5, java.time.Duration.ofMinutes(3), 60, 0);
            trainer.fit(0, 0, done -> { });
            List<double[]> first = List.copyOf(SEEN);
            SEEN.clear();
            trainer.fit(1, 0, done -> { });
            // workers keep counting across fitPaths calls (measured: 0..12 then 13..25 on each of 2 workers)
            double lastOfFirst = first.stream().mapToDouble(x -> x[0]).max().orElseThrow();
            assertTrue(SEEN.stream().allMatch(x -> x[0] > lastOfFirst), "second epoch continues the workers' iteration counters");
            SEEN.addAll(first);
        }
        assertEquals(Map.of("Accumulate", true), WRAPPED, "workers' trunk updater");
        assertEquals(2 * train.size(), SEEN.size(), "one probe per trained minibatch");
        boolean stepped = false;
        for (double[] s : SEEN) {
            int it = (int) s[0];
            double expected = (it + 1) % 2 == 0 ? lr.schedule().valueAt(it / 2, 0) : 0.0;
            assertEquals(expected, s[1], 1e-12, "worker iteration " + it);
            stepped |= s[1] > 0;
        }
        assertTrue(stepped, "some optimizer steps had a positive rate");
        // each of the 2 workers counts its own minibatches: in 2 epochs none reaches the 50 of the whole run
        assertFalse(SEEN.stream().anyMatch(s -> s[0] >= 2 * train.size() - 1), "worker iterations are per worker");
    }
}
