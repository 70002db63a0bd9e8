package dev.kindling.spark.job;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.io.RunDirectory;
import dev.kindling.core.model.Architecture;
import dev.kindling.core.optim.GlobalNormClipping;
import dev.kindling.core.optim.Optimizer;
import dev.kindling.core.optim.OptimizerSpec;
import dev.kindling.core.precision.HalfPrecision;
import dev.kindling.core.precision.LossScaling;
import dev.kindling.core.precision.MixedPrecision;
import dev.kindling.core.precision.Precision;
import dev.kindling.core.schedule.LrSchedules;
import dev.kindling.core.train.StepTelemetry;
import dev.kindling.core.vision.ImageAugmentation;
import dev.kindling.spark.config.Dist;
import dev.kindling.spark.config.Encoding;
import dev.kindling.spark.config.TrainConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A training run checked against its dataset before any work starts: what {@code train} runs and
 * {@code preflight} reports on. Everything here fails with a {@link ConfigException} (exit 2).
 *
 * @param config    the run's records
 * @param data      the dataset, qualified
 * @param out       the run directory, qualified
 * @param manifest  the dataset's manifest
 * @param graph     the DL4J graph (null for scratch-mlp, which builds its own)
 * @param lr        the learning-rate schedule
 * @param optimizer the optimizer with its resolved coefficients
 * @param encoding  the shared engine's encoding, resolved for the architecture (null unless --dist=shared)
 */
public record TrainingPlan(TrainConfig config, String data, String out, Manifest manifest, ComputationGraphConfiguration graph,
                           LrSchedules lr, OptimizerSpec optimizer, Encoding encoding) {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingPlan.class);

    public Architecture arch() {
        return config.model().arch();
    }

    public Dist dist() {
        return config.dist().dist();
    }

    public boolean resume() {
        return config.run().resume() != null;
    }

    /**
     * Decoded training shards each executor JVM keeps with Kindling's master: {@code --data-cache-mb}, or the training
     * split's decoded size when smaller; 0 with DL4J's masters (they read every shard each epoch).
     */
    public long executorShardBytes() {
        return kindlingMaster() ? Math.min(config.run().dataCacheBytes(), manifest.decodedBytes("train")) : 0;
    }

    /** Whether the run trains under Kindling's master (distributed, dense or topk), not DL4J's or locally. */
    boolean kindlingMaster() {
        return dist() == Dist.SHARED && encoding.kindlingMaster();
    }

    /** The same with Kindling's master (dense, topk) on {@code workers}: an optimizer step per round of one shard per worker. */
    long stepsPerEpoch(int workers) {
        long rounds = (manifest.split("train").shards() + workers - 1) / workers;
        int accumulate = config.optim().accumulate();
        return (rounds + accumulate - 1) / accumulate;
    }

    /**
     * The same plan with its learning-rate schedule, optimizer and graph built for {@code replicas}
     * replicas in lockstep (Kindling's master: an optimizer step per round), so that a per-step schedule
     * without {@code --total-steps} spans the run's real optimizer steps. {@link #of} builds it for one.
     */
    TrainingPlan forReplicas(int replicas) {
        LrSchedules lrs = LrSchedules.from(config.schedule(), stepsPerEpoch(replicas), config.run().epochs());
        OptimizerSpec spec = OptimizerSpec.from(config.optim(), lrs.schedule());
        Architecture arch = arch();
        ComputationGraphConfiguration g = arch.distributed()
                ? spec.finish(arch.configure(manifest, config.model(), spec.defaults(config.run().seed(), DataType.FLOAT))) : null;
        if (g != null) {
            halfPrecision(g, config.run().precision(), arch);
        }
        return new TrainingPlan(config, data, out, manifest, g, lrs, spec, encoding);
    }

    /** The learning rate at an epoch's start, for the progress log and metrics history. */
    double lrAt(int epoch) {
        return lrAt(epoch, 1);
    }

    double lrAt(int epoch, int workers) {
        return lr.atEpochStart(epoch, stepsPerEpoch(workers));
    }

    /** Where checkpoints live until the run is published as {@link #out}. */
    String staging() {
        return RunDirectory.staging(out);
    }

    /** The time budget in seconds (infinite when --max-train-minutes=0). */
    double budgetSeconds() {
        double minutes = config.run().budgetMinutes();
        return minutes == 0 ? Double.POSITIVE_INFINITY : 60 * minutes;
    }

    /** The step listeners of every trainer: loss scaling (fp16), clipping, then telemetry. */
    public List<TrainingListener> listeners(StepTelemetry telemetry) {
        List<TrainingListener> l = new ArrayList<>();
        if (config.run().precision().lossScaling()) {
            l.add(new LossScaling()); // before clipping: an overflowing step is skipped, not clipped
        }
        double clipNorm = config.optim().clipNorm();
        if (clipNorm > 0) {
            l.add(new GlobalNormClipping(clipNorm));
        }
        l.add(telemetry);
        return l;
    }

    public static TrainingPlan of(TrainConfig c, HadoopStorage storage) throws IOException {
        Architecture arch = c.model().arch();
        Dist dist = c.dist().dist();
        if (!arch.distributed() && dist != Dist.LOCAL) {
            throw new ConfigException("model=" + arch.cliName() + " trains in one JVM only: pass --dist=local");
        }
        boolean resume = c.run().resume() != null;
        String data = storage.qualify(c.run().data());
        if (!resume && c.run().out() == null) {
            throw new ConfigException("out is required: the run directory; pass --out=...");
        }
        String out = storage.qualify(resume ? c.run().resume() : c.run().out());
        if (resume && c.run().out() != null && !storage.qualify(c.run().out()).equals(out)) {
            throw new ConfigException("resume=" + out + " but out=" + c.run().out() + ": a resumed run keeps its --out; drop --out or make them equal");
        }
        if (resume && arch == Architecture.SCRATCH_MLP) {
            throw new ConfigException("model=scratch-mlp: its hand-written trainer does not checkpoint; start it again instead of --resume");
        }
        String staging = RunDirectory.staging(out);
        if (resume && !storage.exists(staging)) {
            throw new ConfigException("resume=" + out + ": no interrupted run there (" + staging + " does not exist)");
        }
        if (!resume && storage.exists(staging)) {
            throw new ConfigException("out=" + out + ": an interrupted run is at " + staging + "; continue it with --resume=" + out + " or delete it");
        }
        Manifest m = Shards.manifest(storage, data);
        for (String split : List.of("train", "val", "test")) {
            if (m.split(split).examples() == 0) {
                throw new ConfigException("data=" + data + ": split " + split + " is empty; prepare a dataset with examples in train, val and test");
            }
        }
        arch.checkFits(m);
        ImageAugmentation.parse(c.run().augment(), m); // checked here, built again when training starts
        String weights = c.model().weights();
        if (arch == Architecture.RESNET50_TRANSFER && weights != null && !storage.exists(storage.qualify(weights))) {
            throw new ConfigException("weights=" + weights + ": not found; pass the URI of a DL4J zip of the zoo's ResNet50 (Kindling never downloads weights), or leave --weights unset for random initialisation");
        }
        int accumulate = c.optim().accumulate();
        if (dist == Dist.AVERAGING && accumulate > 1 && c.dist().averagingFrequency() % accumulate != 0) {
            throw new ConfigException("accumulate=" + accumulate + " with averaging-frequency=" + c.dist().averagingFrequency()
                    + ": parameters would be averaged in the middle of an accumulation group; make --averaging-frequency a multiple of --accumulate");
        }
        Precision precision = c.run().precision();
        if (arch == Architecture.SCRATCH_MLP && (accumulate > 1 || c.optim().emaDecay() > 0 || c.optim().optimizer() != Optimizer.ADAMW)) {
            throw new ConfigException("model=scratch-mlp: its hand-written trainer has its own SGD loop; drop --optimizer, --accumulate and --ema-decay");
        }
        if (arch == Architecture.SCRATCH_MLP && precision != Precision.FP32) {
            throw new ConfigException("model=scratch-mlp: its hand-written trainer computes in DOUBLE; drop --precision");
        }
        TrainingPlan plan = new TrainingPlan(c, data, out, m, null, null, null, dist == Dist.SHARED ? c.dist().encoding().resolve() : null)
                .forReplicas(1); // the schedule, optimizer and graph are checked here too
        RunDirectory.checkAbsent(storage, out);
        return plan;
    }

    private static void halfPrecision(ComputationGraphConfiguration graph, Precision precision, Architecture arch) {
        try {
            List<String> half = MixedPrecision.apply(graph, precision, arch.cliName());
            if (!half.isEmpty()) {
                LOG.info("train: precision {}: layers {} compute in {} ({}), master weights and optimizer state in fp32{}",
                        precision.cliName(), half, precision.compute(), HalfPrecision.nativeKernels() ? "ND4J's half-precision kernels"
                                : "values rounded to it, fp32 arithmetic: the CPU backend has no half-precision BLAS",
                        precision.lossScaling() ? "; dynamic loss scaling from 2^16" : "");
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }
}
