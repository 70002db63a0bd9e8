package dev.kindling.spark.job;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.diag.LrFinder;
import dev.kindling.core.io.RunDirectory;
import dev.kindling.core.model.Architecture;
import dev.kindling.core.optim.OptimizerSpec;
import dev.kindling.spark.config.LrFindConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kindling lr-find}: the seed's learning-rate range test on a fresh model in this JVM (it is a
 * short sweep, not a training run), over the training shards in a seeded order, cycled when the
 * sweep is longer than an epoch. Writes {@code lr-find.csv}, {@code lr-find.svg} and
 * {@code lr-find.json} to {@code --out}.
 */
public final class LrFindJob {
    private static final Logger LOG = LoggerFactory.getLogger(LrFindJob.class);

    public static Map<String, Object> run(LrFindConfig c) throws Exception {
        HadoopStorage storage = new HadoopStorage();
        Architecture arch = c.model().arch();
        if (!arch.distributed()) {
            throw new ConfigException("model=" + arch.cliName() + ": lr-find sweeps a DL4J model; " + arch.cliName() + " has its own hand-written loop");
        }
        double start = c.start();
        double end = c.end();
        int steps = c.steps();
        long seed = c.seed();
        String data = storage.qualify(c.data());
        String out = storage.qualify(c.out());
        RunDirectory.checkAbsent(storage, out);
        Manifest m = Shards.manifest(storage, data);
        arch.checkFits(m);
        OptimizerSpec optimizer = OptimizerSpec.from(c.optim(), new FixedSchedule(start));
        ComputationGraph net = new ComputationGraph(optimizer.finish(arch.configure(m, c.model(), optimizer.defaults(seed, DataType.FLOAT))));
        net.init();
        List<String> train = Shards.paths(storage, data, m, "train", null);
        LOG.info("lr-find: model={} optimizer={} lr {} -> {} over {} steps ({} training shards)", arch.cliName(), optimizer.name(), start, end,
                steps, train.size());
        LrFinder.Result r = LrFinder.sweep(net, cycle(train, seed, p -> Shards.load(storage, p)), start, end, steps);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("model", arch.cliName());
        summary.put("dataset", m.name());
        summary.put("optimizer", optimizer.name());
        summary.put("steps", r.lrs().size());
        summary.put("diverged", r.diverged());
        summary.put("suggested_lr", Double.isNaN(r.suggested()) ? null : r.suggested());
        summary.put("min_loss_lr", r.minLossLr());
        summary.put("last_lr", r.lrs().get(r.lrs().size() - 1));
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("lr-find.csv", r.csv().getBytes(StandardCharsets.UTF_8));
        files.put("lr-find.svg", r.svg());
        files.put("lr-find.json", dev.kindling.core.metrics.MetricsJson.pretty(summary));
        RunDirectory.publish(storage, out, files);
        LOG.info("lr-find: {} steps{}; suggested lr {} (steepest descent), lowest loss at lr {}; wrote {}", r.lrs().size(),
                r.diverged() ? " (stopped: loss > 4x the best)" : "", String.format("%.2e", r.suggested()), String.format("%.2e", r.minLossLr()), out);
        return summary;
    }

    /** The shards in a seeded order, again and again. */
    static Iterator<DataSet> cycle(List<String> shards, long seed, java.util.function.Function<String, DataSet> loader) {
        return new Iterator<>() {
            private final Random random = new Random(seed);
            private final List<String> order = new ArrayList<>();
            private int next;

            @Override
            public boolean hasNext() {
                return !shards.isEmpty();
            }

            @Override
            public DataSet next() {
                if (next == order.size()) {
                    order.clear();
                    order.addAll(shards);
                    Collections.shuffle(order, random);
                    next = 0;
                }
                return loader.apply(order.get(next++));
            }
        };
    }

    private LrFindJob() {}
}
