package dev.kindling.spark.config;

import dev.kindling.core.config.Range;
import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import dev.kindling.core.precision.Precision;
import java.io.Serializable;
import java.util.List;

/**
 * One training run: its data and run directory, length, seed, precision, checkpoints and budgets.
 *
 * @param master          the Spark master (unused by {@code --dist=local})
 * @param data            dataset URI holding manifest.json
 * @param out             run directory URI; null when resuming (the run keeps its own)
 * @param epochs          training epochs
 * @param seed            initialisation, data and shard-order seed
 * @param patience        early stopping patience in epochs; 0 disables
 * @param precision       compute precision
 * @param augment         image augmentation spec (checked against the dataset when the plan is made)
 * @param budgetMinutes   time budget; 0: none
 * @param progressSeconds seconds between progress lines
 * @param checkpointEvery checkpoint every N steps; 0: at epoch ends only
 * @param keepCheckpoints newest checkpoints kept
 * @param resume          the interrupted run to continue; null: a new run
 * @param autoResume      restarts from the newest checkpoint after an interruption
 * @param skipBadShards   leave out shards that fail their checks instead of failing
 * @param dataCacheMb     decoded shards a local training JVM keeps in memory, MB ({@code ShardCache})
 */
public record RunConfig(SparkMaster master, String data, String out, int epochs, long seed, int patience, Precision precision,
                        String augment, double budgetMinutes, int progressSeconds, int checkpointEvery, int keepCheckpoints,
                        String resume, int autoResume, boolean skipBadShards, int dataCacheMb) implements Serializable {
    public static final Setting<String> DATA = Setting.string("data", null, "dataset URI (file://, hdfs://, or a path) holding manifest.json");
    public static final Setting<String> OUT = Setting.string("out", null,
            "output URI: the dataset (prepare-data), the run directory (train, demo), the metrics or predictions (evaluate, infer, lr-find, doctor), the page (report)");
    public static final Setting<Long> SEED = Setting.longInteger("seed", 42L, Range.any(),
            "seed for initialisation, data generation, shard order and sampling (any long)");
    public static final Setting<Integer> EPOCHS = Setting.integer("epochs", 10, Range.atLeast(1), "training epochs");
    public static final Setting<Integer> PATIENCE = Setting.integer("patience", 10, Range.atLeast(0),
            "early stopping: epochs without a better validation loss before stopping; 0 disables");
    public static final Setting<Precision> PRECISION = Setting.choice("precision", Precision.FP32, Precision.class,
            "compute precision of the dense and convolution layers and the transformers' and recurrent layers' matrix products: fp32 | fp16 (dynamic loss scaling from 2^16; overflowing steps skipped) | bf16; master weights and optimizer state stay fp32");
    public static final Setting<String> AUGMENT = Setting.string("augment", "none",
            "image training augmentation, fresh per epoch and seeded by (seed, epoch, step): none | seed (crop with padding 4, horizontal flip, colour jitter 0.2, rotation +-10 degrees) | a comma list of crop, flip, jitter, rotate");
    public static final Setting<Double> MAX_TRAIN_MINUTES = Setting.real("max-train-minutes", "0", Range.closed(0, 1e6),
            "time budget of a train run in minutes (fractions allowed; 0: none): no epoch is started that would end past it, judged by the mean epoch so far");
    public static final Setting<Integer> PROGRESS_SECONDS = Setting.integer("progress-seconds", 10, Range.atLeast(1),
            "seconds between driver progress lines");
    public static final Setting<Integer> CHECKPOINT_EVERY = Setting.integer("checkpoint-every", 0, Range.atLeast(0),
            "checkpoint every N training steps, or rounds of the workers with Kindling's master (0: at epoch ends only; DL4J's threshold and averaging masters checkpoint at epoch ends)");
    public static final Setting<Integer> KEEP_CHECKPOINTS = Setting.integer("keep-checkpoints", 3, Range.atLeast(1),
            "newest checkpoints kept in the run directory");
    public static final Setting<String> RESUME = Setting.string("resume", null,
            "continue the interrupted run whose --out this was, from its newest checkpoint");
    public static final Setting<Integer> AUTO_RESUME = Setting.integer("auto-resume", 0, Range.atLeast(0),
            "distributed train: after a watchdog timeout, an epoch that changed nothing, or a failed Spark job, restart from the newest checkpoint at most this many times");
    public static final Setting<Boolean> SKIP_BAD_SHARDS = Setting.flag("skip-bad-shards", false,
            "train: leave out shards that fail their checks (checksum, decoding, shape, NaN/Inf) and report them, instead of failing");
    public static final Setting<Integer> DATA_CACHE_MB = Setting.integer("data-cache-mb", 512, Range.atLeast(0),
            "train: decoded shards kept in memory, in MB, so a dataset that fits is read and decoded once, not at every step (0: read every shard at every use); --dist=local keeps training and validation shards, Kindling's master (dense, topk) up to this much of the training split in each executor JVM, counted by the executor-memory check");

    public static final List<Setting<?>> SETTINGS = List.of(SparkMaster.MASTER, DATA, OUT, EPOCHS, SEED, PATIENCE, PRECISION, AUGMENT,
            MAX_TRAIN_MINUTES, PROGRESS_SECONDS, CHECKPOINT_EVERY, KEEP_CHECKPOINTS, RESUME, AUTO_RESUME, SKIP_BAD_SHARDS,
            DATA_CACHE_MB);

    public static RunConfig from(Settings s) {
        return new RunConfig(s.require(SparkMaster.MASTER), s.require(DATA), s.get(OUT), s.require(EPOCHS), s.require(SEED),
                s.require(PATIENCE), s.require(PRECISION), s.require(AUGMENT), s.require(MAX_TRAIN_MINUTES), s.require(PROGRESS_SECONDS),
                s.require(CHECKPOINT_EVERY), s.require(KEEP_CHECKPOINTS), s.get(RESUME), s.require(AUTO_RESUME), s.require(SKIP_BAD_SHARDS),
                s.require(DATA_CACHE_MB));
    }

    /** {@code --data-cache-mb} in bytes: the budget of the local trainer's {@code ShardCache}, and each executor's. */
    public long dataCacheBytes() {
        return (long) dataCacheMb << 20;
    }

    /** The same run continued from {@code out}'s newest checkpoint (auto-resume). */
    public RunConfig resuming(String runDirectory) {
        return new RunConfig(master, data, out, epochs, seed, patience, precision, augment, budgetMinutes, progressSeconds, checkpointEvery,
                keepCheckpoints, runDirectory, autoResume, skipBadShards, dataCacheMb);
    }
}
