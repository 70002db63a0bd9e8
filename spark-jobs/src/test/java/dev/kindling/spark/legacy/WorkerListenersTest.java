package dev.kindling.spark.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kindling.core.config.Settings;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.SeedTasks;
import dev.kindling.core.data.Shards;
import dev.kindling.core.model.Architecture;
import dev.kindling.core.model.ModelConfig;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import dev.kindling.spark.config.DistConfig;
import dev.kindling.spark.config.SparkMaster;
import dev.kindling.spark.config.TestSettings;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.job.SparkJobs;
import java.net.DatagramSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Global-norm clipping is a TrainingListener hooked on onGradientCalculation; this shows that DL4J's
 * masters call listeners set on the driver's SparkComputationGraph for every minibatch the workers
 * train (local mode: workers share this JVM, so a static counter sees them).
 */
class WorkerListenersTest {
    static final AtomicLong GRADIENTS = new AtomicLong();

    /** Counts gradient calculations wherever DL4J runs them. */
    public static final class CountingListener extends BaseTrainingListener implements java.io.Serializable {
        @Override
        public void onGradientCalculation(Model model) {
            GRADIENTS.incrementAndGet();
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void bothMastersCallDriverListenersOnEveryWorkerMinibatch(@TempDir Path dir) throws Exception {
        HadoopStorage storage = new HadoopStorage();
        String data = storage.qualify(dir.resolve("sum").toString());
        Manifest m = DatasetWriter.write(storage, data, SeedTasks.sum(5), 64, 5);
        List<String> train = Shards.paths(storage, data, m, "train", null);
        int port;
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        for (String dist : List.of("averaging", "shared")) {
            Settings c = TestSettings.of("dist", dist, "master", "local[2]", "aeron-port", String.valueOf(port));
            GRADIENTS.set(0);
            try (JavaSparkContext sc = SparkJobs.context(new SparkMaster("local[2]"), "listeners")) {
                ComputationGraph net = new ComputationGraph(Architecture.MLP.configure(m, ModelConfig.from(c),
                        NetDefaults.adamW(5, DataType.FLOAT, CosineAnnealing.tutorial(), 1e-4)));
                net.init();
                SparkComputationGraph sparkNet = new SparkComputationGraph(sc, net, Masters.build(DistConfig.from(c), 42, 64, 2, 2));
                sparkNet.setListeners(List.of(new CountingListener()));
                int chunk = dist.equals("averaging") ? 2 * 5 : 0; // workers x averaging-frequency, as TrainJob does
                new SparkTrainer(sc, sparkNet, train, train, m.split("train").examples(), m, 5, java.time.Duration.ofMinutes(3), 60, chunk)
                        .fit(0, 0, done -> { });
            }
            assertEquals(train.size(), GRADIENTS.get(), dist + ": one gradient calculation per training minibatch");
        }
    }
}
