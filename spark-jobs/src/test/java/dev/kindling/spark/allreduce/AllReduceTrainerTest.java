package dev.kindling.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.Settings;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.SeedTasks;
import dev.kindling.core.data.Shards;
import dev.kindling.core.model.Head;
import dev.kindling.core.model.Mlp;
import dev.kindling.core.model.ModelConfig;
import dev.kindling.core.optim.GlobalNormClipping;
import dev.kindling.core.optim.OptimConfig;
import dev.kindling.core.optim.OptimizerSpec;
import dev.kindling.core.schedule.LrSchedules;
import dev.kindling.core.schedule.ScheduleConfig;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.core.train.ProgressLine;
import dev.kindling.spark.config.TestSettings;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.job.SparkJobs;
import dev.kindling.spark.runtime.DriverProgress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import dev.kindling.spark.config.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The dense master on local[2] is data-parallel SGD done exactly: after an epoch the driver holds
 * what one JVM gets by fitting, round by round, the two workers' minibatches merged into one
 * (gradient clipping included, which must see the summed gradient to agree). The topk encoding,
 * which shares optimizer steps, is checked at density 1 against two JVMs stepping on their own.
 */
class AllReduceTrainerTest {

    /** One epoch of the seed-sum MLP (SGD momentum 0.9, clipping 0.5, an odd shard count) on local[2]. */
    private record Epoch(INDArray start, ComputationGraph distributed, EpochLoop.EpochFit fit, List<String> order,
                         ComputationGraphConfiguration conf, HadoopStorage storage) {
        ComputationGraph fresh() {
            ComputationGraph net = new ComputationGraph(conf.clone());
            net.init();
            assertEquals(start, net.params());
            net.setListeners(new GlobalNormClipping(0.5));
            return net;
        }

        DataSet shard(int i) throws Exception {
            return Shards.load(storage, order.get(i));
        }

        void assertParamsAndState(ComputationGraph reference, String what) {
            assertNotEquals(start, distributed.params(), "training moved the driver's parameters");
            double gap = distributed.params().sub(reference.params()).amaxNumber().doubleValue();
            double moved = reference.params().sub(start).amaxNumber().doubleValue();
            assertTrue(gap < 1e-5 * Math.max(1, moved) && moved > 1e-2, "max |distributed - " + what + "| " + gap
                    + " (parameters moved by up to " + moved + ")");
            assertEquals(reference.getUpdater().getStateViewArray().sub(distributed.getUpdater().getStateViewArray()).amaxNumber()
                    .doubleValue(), 0.0, 1e-5, "the optimizer state (rank 0's) came back to the driver");
        }
    }

    private static Epoch epoch(Path dir, double density) throws Exception {
        return epoch(dir, density, Transport.AERON);
    }

    private static Epoch epoch(Path dir, double density, Transport transport) throws Exception {
        return epoch(dir, density, transport, 0);
    }

    private static Epoch epoch(Path dir, double density, Transport transport, long bucketFloats) throws Exception {
        return epoch(dir, density, transport, bucketFloats, 0, 1);
    }

    /** {@code epochs} epochs with each executor keeping up to {@code cacheBytes} of decoded shards ({@link ExecutorShards}). */
    private static Epoch epoch(Path dir, double density, Transport transport, long bucketFloats, long cacheBytes, int epochs) throws Exception {
        HadoopStorage storage = new HadoopStorage();
        String data = storage.qualify(dir.resolve("sum").toString());
        Manifest m = DatasetWriter.write(storage, data, SeedTasks.sum(5), 64, 5);
        List<String> train = Shards.paths(storage, data, m, "train", null);
        assertEquals(1, train.size() % 2, "an odd shard count: the epoch is padded to whole rounds");
        Settings c = TestSettings.of("dist", "shared", "master", "local[2]", "optimizer", "sgd", "momentum", "0.9", "lr", "0.05", "dropout", "0");
        OptimizerSpec spec = OptimizerSpec.from(OptimConfig.from(c), LrSchedules.from(ScheduleConfig.from(c), train.size(), 1).schedule());
        // the MLP as its five DL4J layers (Mlp.Form.LAYERS): three of them hold parameters, so buckets can follow backprop layer by layer
        ComputationGraphConfiguration conf = spec.finish(Mlp.configure(new Mlp.Spec(m.featureWidth(), ModelConfig.from(c).hidden(), m.numClasses(),
                Head.forClasses(m.numClasses(), m.binary()), 0.0), spec.defaults(5, DataType.FLOAT), Mlp.Form.LAYERS));
        ComputationGraph distributed = new ComputationGraph(conf.clone());
        distributed.init();
        INDArray start = distributed.params().dup();
        try (JavaSparkContext sc = SparkJobs.context(new dev.kindling.spark.config.SparkMaster("local[2]"), "dense")) {
            List<TrainingListener> clip = List.of(new GlobalNormClipping(0.5));
            AllReduceTrainer trainer = new AllReduceTrainer(sc, distributed, train, train, m, storage, clip, 5, null, 2,
                    Duration.ofSeconds(60), Duration.ofMinutes(3), 60,
                    DriverProgress.start(sc, 1, new ProgressLine(null, 60)), density, dev.kindling.spark.config.Wire.FP32,
                    transport, bucketFloats).cachingShards(cacheBytes);
            EpochLoop.EpochFit fit = null;
            for (int k = 0; k < epochs; k++) {
                distributed.getConfiguration().setEpochCount(k);
                fit = trainer.fit(k, 0, done -> { });
            }
            if (transport == Transport.MEMORY) {
                assertEquals("memory", trainer.transport());
                assertEquals(0, trainer.bytesSent(), "threads of one JVM: nothing crossed a network");
            } else {
                assertEquals("aeron+ipc", trainer.transport(), "threads of one JVM share its host driver");
                assertTrue(trainer.bytesSent() > 0, "the workers exchanged gradients");
            }
            assertEquals(bucketFloats > 0 ? 3 : 1, trainer.buckets(), "the seed MLP's gradient in 100-float buckets: one per layer");
            if (bucketFloats > 0) { // the first step of the epoch learns where BatchNorm-like views lie; after it, two of three during backprop
                assertTrue(trainer.duringBackprop() > 0.5, "buckets launched while backprop ran: " + trainer.duringBackprop());
            }
            return new Epoch(start, distributed, fit, AllReduceTrainer.order(train, 5, 0, 2, 0), conf, storage);
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void anEpochOnTwoWorkersEqualsOneJvmFittingEachRoundsMinibatchesTogether(@TempDir Path dir) throws Exception {
        Epoch e = epoch(dir, 0);
        ComputationGraph reference = e.fresh();
        double samples = 0;
        for (int round = 0; round < e.order().size() / 2; round++) {
            DataSet both = DataSet.merge(List.of(e.shard(2 * round), e.shard(2 * round + 1)));
            samples += both.numExamples();
            reference.fit(both);
        }
        assertEquals(e.order().size() / 2, e.distributed().getConfiguration().getIterationCount(), "one optimizer step per round");
        assertEquals(e.order().size(), e.fit().steps());
        assertEquals(samples, e.fit().samples(), 0.0);
        e.assertParamsAndState(reference, "merged reference");
    }

    /**
     * The topk encoding sending every entry (density 1): each round both replicas step from the same
     * parameters on their own minibatch with their own optimizer state, and both move by the sum of
     * the two steps.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void topkAtDensityOneMovesEveryReplicaByTheSumOfTheReplicasOwnSteps(@TempDir Path dir) throws Exception {
        Epoch e = epoch(dir, 1.0);
        ComputationGraph r0 = e.fresh();
        ComputationGraph r1 = e.fresh();
        for (int round = 0; round < e.order().size() / 2; round++) {
            INDArray before = r0.params().dup();
            r0.fit(e.shard(2 * round));
            r1.fit(e.shard(2 * round + 1));
            INDArray after = r0.params().add(r1.params()).subi(before);
            r0.params().assign(after);
            r1.params().assign(after);
        }
        assertEquals(e.order().size() / 2, e.distributed().getConfiguration().getIterationCount(), "one local step per round");
        e.assertParamsAndState(r0, "sum of the replicas' steps");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void executorsKeepingTheirShardsTrainTwoEpochsToTheBitsOfReadingThemEachRound(@TempDir Path dir) throws Exception {
        Epoch read = epoch(dir.resolve("read"), 0, Transport.MEMORY, 0, 0, 2);
        Epoch kept = epoch(dir.resolve("kept"), 0, Transport.MEMORY, 0, 64L << 20, 2);
        assertArrayEquals(read.distributed().params().toFloatVector(), kept.distributed().params().toFloatVector());
        assertArrayEquals(read.distributed().getUpdater().getStateViewArray().toFloatVector(),
                kept.distributed().getUpdater().getStateViewArray().toFloatVector());
        long split = 0;
        for (String shard : new java.util.TreeSet<>(kept.order())) {
            DataSet d = Shards.load(kept.storage(), shard);
            split += (d.getFeatures().length() + d.getLabels().length()) * Float.BYTES;
        }
        assertEquals(split, ExecutorShards.keptBytes(), "local[2]: its one JVM kept every training shard once, for both replicas");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void inMemoryTheEpochEndsWithTheBitsOfTheAeronEpochDenseAndTopk(@TempDir Path dir) throws Exception {
        for (double density : new double[] {0, 0.3}) {
            Epoch aeron = epoch(dir.resolve("aeron-" + density), density, Transport.AERON);
            Epoch memory = epoch(dir.resolve("memory-" + density), density, Transport.MEMORY);
            assertArrayEquals(aeron.distributed().params().toFloatVector(), memory.distributed().params().toFloatVector(),
                    "density " + density + ": the same parameters, bit for bit");
            assertArrayEquals(aeron.distributed().getUpdater().getStateViewArray().toFloatVector(),
                    memory.distributed().getUpdater().getStateViewArray().toFloatVector());
            assertEquals(aeron.fit().trainLoss(), memory.fit().trainLoss(), 0.0);
        }
        assertEquals(0, LocalGroup.alive(), "every in-memory group was removed when its workers closed");
    }

    /**
     * --overlap: the gradient all-reduced in buckets as backprop finishes them, on a second thread, ends
     * the epoch with the bits of the whole gradient reduced after backprop, over either transport.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void overlappedBucketsEndTheEpochWithTheBitsOfTheWholeGradientReducedAfterBackprop(@TempDir Path dir) throws Exception {
        for (Transport transport : new Transport[] {Transport.AERON, Transport.MEMORY}) {
            Epoch whole = epoch(dir.resolve("whole-" + transport), 0, transport, 0);
            Epoch buckets = epoch(dir.resolve("buckets-" + transport), 0, transport, 100);
            assertArrayEquals(whole.distributed().params().toFloatVector(), buckets.distributed().params().toFloatVector(),
                    transport + ": the same parameters, bit for bit");
            assertArrayEquals(whole.distributed().getUpdater().getStateViewArray().toFloatVector(),
                    buckets.distributed().getUpdater().getStateViewArray().toFloatVector());
            assertEquals(whole.fit().trainLoss(), buckets.fit().trainLoss(), 0.0);
            assertEquals(whole.fit().samples(), buckets.fit().samples(), 0.0);
        }
        assertEquals(0, LocalGroup.alive());
    }

    @Test
    void aReplicaFurtherFromTheMeanThanRoundingFailsTheEpochNamingIt() {
        ReplicaTask.Result first = result(0, 1.5e-8);
        assertEquals(first, AllReduceTrainer.check(List.of(first, result(1, 1.5e-8)), 2, 0), "rounding passes");
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> AllReduceTrainer.check(List.of(first, result(1, 3e-3)), 2, 4));
        assertTrue(e.getMessage().startsWith("epoch 5: replica 1's parameters are 0.003 from the replicas' mean"), e.getMessage());
        assertThrowsMessage("1 of 2 workers reported", () -> AllReduceTrainer.check(List.of(first), 2, 0));
    }

    private static void assertThrowsMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    private static ReplicaTask.Result result(int rank, double deviation) {
        ReplicaTask.Result r = new ReplicaTask.Result();
        r.rank = rank;
        r.deviation = deviation;
        r.scale = 2.0;
        return r;
    }

    @Test
    void epochResumedAtAShardTrainsTheRestOfTheSameOrder() {
        List<String> shards = java.util.stream.IntStream.range(0, 11).mapToObj(i -> "shard-" + i).toList();
        List<String> whole = AllReduceTrainer.order(shards, 7, 3, 2, 0);
        assertEquals(12, whole.size(), "11 shards padded to 6 rounds of 2");
        assertEquals(whole.subList(6, 12), AllReduceTrainer.order(shards, 7, 3, 2, 6), "same workers: the tail of the same padded order");
        List<String> onThree = AllReduceTrainer.order(shards, 7, 3, 3, 6);
        assertEquals(whole.subList(6, 11), onThree.subList(0, 5), "three workers: the same shards are left");
        assertEquals(List.of(whole.get(0)), onThree.subList(5, 6), "padded from the epoch's start to 2 rounds of 3");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> AllReduceTrainer.order(shards, 7, 3, 2, 11));
    }
}
