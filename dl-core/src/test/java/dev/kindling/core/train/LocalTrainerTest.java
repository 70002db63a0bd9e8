package dev.kindling.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.SeedTasks;
import dev.kindling.core.data.Shards;
import dev.kindling.core.io.LocalStorage;
import dev.kindling.core.metrics.Evaluator;
import dev.kindling.core.metrics.TaskMetrics;
import dev.kindling.core.model.Mlp;
import dev.kindling.core.optim.GlobalNormClipping;
import dev.kindling.core.optim.NetDefaults;
import dev.kindling.core.schedule.CosineAnnealing;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** The seed's section-2 recipe in one JVM on its own binary task, from prepared shards. */
class LocalTrainerTest {

    @Test
    void seedMlpLearnsTheSumTaskWithAdamWCosineClippingAndEarlyStopping(@TempDir Path dir) throws Exception {
        LocalStorage storage = new LocalStorage();
        String data = dir.resolve("sum").toString();
        Manifest m = DatasetWriter.write(storage, data, SeedTasks.sum(42), 64, 42);
        CosineAnnealing cosine = CosineAnnealing.tutorial();
        ComputationGraph net = new ComputationGraph(Mlp.configure(Mlp.Spec.tutorial(),
                NetDefaults.adamW(42, DataType.FLOAT, cosine, 1e-4)));
        net.init();
        GlobalNormClipping clip = new GlobalNormClipping(1.0);
        LocalTrainer trainer = new LocalTrainer(net, Shards.paths(storage, data, m, "train", null),
                Shards.paths(storage, data, m, "val", null), p -> Shards.load(storage, p), m, 42,
                new Progress(20, 60), List.of(clip));
        EpochLoop.Outcome o = trainer.train(20, 10, cosine::valueAt);
        TaskMetrics test = Evaluator.evaluate(net, m,
                Shards.paths(storage, data, m, "test", null).stream().map(p -> Shards.load(storage, p)).iterator());
        assertTrue(test.accuracy() >= 0.9, "test accuracy " + test.accuracy());
        assertTrue(o.history().get(o.history().size() - 1).trainLoss() < o.history().get(0).trainLoss());
        assertTrue(clip.lastNorm() > 0, "the clipping listener saw gradients");
        assertEquals(25L * o.history().size(), o.steps());
        assertEquals(cosine.valueAt(1), o.history().get(1).lr(), 1e-15);
    }
}
