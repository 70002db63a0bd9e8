package dev.kindling.core.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every configuration key Kindling knows, with its default and documented range: the one place. */
public final class Keys {
    public static final ConfigKey MASTER = key("master", "local[2]", "Spark master URL: local[N], spark://host:port, yarn, k8s://...");
    public static final ConfigKey MODEL = key("model", "mlp", "architecture name; one of the registry names (see README)");
    public static final ConfigKey DATA = key("data", null, "dataset URI (file://, hdfs://, or a path) holding manifest.json");
    public static final ConfigKey OUT = key("out", null, "output URI: the dataset (prepare-data) or the run directory (train, evaluate)");
    public static final ConfigKey EPOCHS = key("epochs", "10", "training epochs (>= 1)");
    public static final ConfigKey DIST = key("dist", "shared", "shared (gradient sharing over Aeron) | averaging (parameter averaging) | local (one JVM, no Spark)");
    public static final ConfigKey SEED = key("seed", "42", "seed for initialisation, data generation and shard order (any long)");
    public static final ConfigKey BATCH_SIZE = key("batch-size", "64", "examples per minibatch shard, written by prepare-data (>= 1)");
    public static final ConfigKey LR = key("lr", "1e-3", "base learning rate (> 0)");
    public static final ConfigKey WEIGHT_DECAY = key("weight-decay", "1e-4", "decoupled (AdamW) weight decay coefficient (>= 0)");
    public static final ConfigKey T_MAX = key("t-max", "50", "cosine annealing period in epochs, PyTorch CosineAnnealingLR's T_max (>= 1)");
    public static final ConfigKey MIN_LR = key("min-lr", "0", "cosine annealing floor, eta_min (>= 0, < lr)");
    public static final ConfigKey OPTIMIZER = key("optimizer", "adamw", "sgd (momentum) | nesterov | adam (L2 weight decay) | adamw (decoupled decay) | lion | muon (hidden dense weights; AdamW for the rest)");
    public static final ConfigKey MOMENTUM = key("momentum", null, "sgd, nesterov, muon: momentum in [0, 1) (default 0.9; muon 0.95)");
    public static final ConfigKey BETA1 = key("beta1", null, "adam, adamw, lion: first-moment decay in [0, 1) (default 0.9)");
    public static final ConfigKey BETA2 = key("beta2", null, "adam, adamw, lion: second-moment decay in [0, 1) (default 0.999; lion 0.99)");
    public static final ConfigKey SCHEDULE = key("schedule", "cosine", "learning-rate schedule: cosine (per epoch, --t-max, --min-lr) | warmup-cosine (per step: --warmup-steps, --total-steps, --min-lr-ratio) | onecycle (per step: --lr is the peak, --total-steps, --pct-start) | step (per epoch: --step-size, --gamma) | constant");
    public static final ConfigKey WARMUP_STEPS = key("warmup-steps", "100", "warmup-cosine: optimizer steps of linear warmup (>= 0)");
    public static final ConfigKey TOTAL_STEPS = key("total-steps", "0", "warmup-cosine, onecycle: optimizer steps the schedule spans (>= 1); 0 derives it from epochs x steps per epoch");
    public static final ConfigKey MIN_LR_RATIO = key("min-lr-ratio", "0.1", "warmup-cosine: floor of the decay as a fraction of --lr ([0, 1])");
    public static final ConfigKey PCT_START = key("pct-start", "0.3", "onecycle: fraction of the steps spent rising to --lr ((0, 1))");
    public static final ConfigKey STEP_SIZE = key("step-size", "30", "step: epochs between learning-rate drops (>= 1)");
    public static final ConfigKey GAMMA = key("gamma", "0.1", "step: factor applied every --step-size epochs ((0, 1])");
    public static final ConfigKey ACCUMULATE = key("accumulate", "1", "gradient accumulation: minibatches per optimizer step (>= 1); the Spark masters exchange updates once per K minibatches");
    public static final ConfigKey EMA_DECAY = key("ema-decay", "0", "exponential moving average of the weights, updated after every optimizer step ([0, 1); 0 disables; the seed uses 0.9999); evaluated and saved as ema-model.zip");
    public static final ConfigKey PRECISION = key("precision", "fp32", "compute precision of the dense and convolution layers: fp32 | fp16 (dynamic loss scaling from 2^16; overflowing steps skipped) | bf16; master weights and optimizer state stay fp32");
    public static final ConfigKey CLIP_NORM = key("clip-norm", "1.0", "clip gradients by their global L2 norm (> 0), 0 disables");
    public static final ConfigKey HIDDEN = key("hidden", "128", "MLP hidden width h; the second layer has h/2 (>= 2, even); RNN/LSTM hidden width H per direction (>= 1)");
    public static final ConfigKey LAYERS = key("layers", null, "stacked layers (>= 1): LSTM layers of lstm-classifier and lstm-forecaster (unset: the seed's 2), transformer blocks of gpt and encoder-classifier (unset: the seed's 6)");
    public static final ConfigKey EMBED = key("embed", "64", "seq2seq: token embedding width E (>= 1)");
    public static final ConfigKey DROPOUT = key("dropout", "0.3", "dropout probability ([0, 1)); mlp: after the first hidden layer; gpt: embeddings, attention weights, feed-forward");
    public static final ConfigKey LABEL_SMOOTHING = key("label-smoothing", null, "cross-entropy label smoothing eps in [0, 1) for small-cnn, vgg-style-cnn and resnet50-transfer (unset: the seed's 0.1)");
    public static final ConfigKey AUGMENT = key("augment", "none", "image training augmentation, fresh per epoch and seeded by (seed, epoch, step): none | seed (crop with padding 4, horizontal flip, colour jitter 0.2, rotation +-10 degrees) | a comma list of crop, flip, jitter, rotate");
    public static final ConfigKey TRANSFER = key("transfer", "frozen", "resnet50-transfer strategy: frozen (backbone frozen, head trained) | finetune (layer4 at 0.1 x lr, layer3 at 0.05 x lr, head at lr; stem, layer1, layer2 fixed)");
    public static final ConfigKey WEIGHTS = key("weights", null, "resnet50-transfer: URI of a DL4J zip of the zoo's ResNet50 (e.g. resnet50_dl4j_inference.v3.zip) whose backbone weights are loaded; never downloaded; unset: random initialisation");
    public static final ConfigKey DROPOUT2 = key("dropout2", "0.2", "regularized-mlp: dropout probability after the second hidden block ([0, 1))");
    public static final ConfigKey PATIENCE = key("patience", "10", "early stopping: epochs without a better validation loss before stopping (>= 1), 0 disables");
    public static final ConfigKey ENCODING = key("encoding", "auto", "shared: how the workers share gradients: threshold (DL4J's shared master: each replica's optimizer update sent as sparse +-threshold steps; 30-130x fewer bytes than dense fp32, some accuracy lost) | dense (Kindling's all-reduce over Aeron: every step the fp32 gradients are summed before the optimizer, exactly one step on all workers' minibatches together; no compression) | topk (Kindling's sparse step sharing: each replica steps on its own minibatch and sends the --topk-density largest entries of its step plus what it has not sent yet, as index and value; all replicas move by the sum) | auto (dense for gpt and encoder-classifier, whose training the threshold encoding measurably harms; threshold otherwise)");
    public static final ConfigKey TOPK_DENSITY = key("topk-density", "0.004", "shared, topk encoding: fraction of the parameters each worker sends per step ((0, 1]; 8 bytes each: 0.004 is about 120x fewer bytes than dense fp32; small models need more, e.g. 0.05 for the 11k-parameter seed MLP)");
    public static final ConfigKey PEER_TIMEOUT_SECONDS = key("peer-timeout-seconds", "120", "shared, dense encoding: a worker that hears nothing from a peer for this long (connecting or in a step) fails the epoch, naming the peer (>= 1)");
    public static final ConfigKey THRESHOLD = key("threshold", "1e-3", "shared: initial threshold of the adaptive gradient encoding (> 0)");
    public static final ConfigKey MAX_UPDATE_DENSITY = key("max-update-density", "1e-2", "shared: largest fraction of the parameters one encoded update may carry ((0, 1]; DL4J's maximum target sparsity): the adaptive threshold rises when more would be sent; higher learns more per step for dense updates such as Adam's, at more bytes");
    public static final ConfigKey RESIDUAL_CLIP = key("residual-clip", "5", "shared: every 5 steps the encoding's residual (update not yet sent) is clipped to this multiple of the threshold (>= 1, DL4J's default 5), 0 never clips: no update mass is dropped");
    public static final ConfigKey AVERAGING_FREQUENCY = key("averaging-frequency", "5", "averaging: minibatches per worker between parameter averages (>= 1)");
    public static final ConfigKey AERON_PORT = key("aeron-port", "40123", "shared: UDP port of this JVM's Aeron transport (1024-65535); executors on one host need distinct ports");
    public static final ConfigKey CONTROLLER = key("controller", "127.0.0.1", "shared: address of the driver's Aeron controller, reachable from every executor");
    public static final ConfigKey NETWORK_MASK = key("network-mask", "127.0.0.0/8", "shared: network mask executors use to pick their Aeron address");
    public static final ConfigKey MAX_TRAIN_MINUTES = key("max-train-minutes", "0", "time budget of a train run in minutes (>= 0, fractions allowed; 0: none): no epoch is started that would end past it, judged by the mean epoch so far");
    public static final ConfigKey TIMEOUT_MINUTES = key("timeout-minutes", "30", "watchdog: fail a distributed training epoch that runs longer than this many minutes (> 0, fractions allowed)");
    public static final ConfigKey AUTO_RESUME = key("auto-resume", "0", "distributed train: after a watchdog timeout, an epoch that changed nothing, or a failed Spark job, restart from the newest checkpoint at most this many times (>= 0)");
    public static final ConfigKey PROGRESS_SECONDS = key("progress-seconds", "10", "seconds between driver progress lines (>= 1)");
    public static final ConfigKey CHECKPOINT_EVERY = key("checkpoint-every", "0", "checkpoint every N training steps (>= 0; 0: at epoch ends only; the Spark masters checkpoint at epoch ends)");
    public static final ConfigKey KEEP_CHECKPOINTS = key("keep-checkpoints", "3", "newest checkpoints kept in the run directory (>= 1)");
    public static final ConfigKey RESUME = key("resume", null, "continue the interrupted run whose --out this was, from its newest checkpoint");
    public static final ConfigKey SKIP_BAD_SHARDS = key("skip-bad-shards", "false", "train: leave out shards that fail their checks (checksum, decoding, shape, NaN/Inf) and report them, instead of failing (true | false)");
    public static final ConfigKey LR_START = key("lr-start", "1e-7", "lr-find: first learning rate of the sweep (> 0)");
    public static final ConfigKey LR_END = key("lr-end", "10", "lr-find: last learning rate of the sweep (> lr-start)");
    public static final ConfigKey LR_STEPS = key("lr-steps", "100", "lr-find: minibatches of the sweep (>= 2); it stops early once the loss exceeds 4x the best");
    public static final ConfigKey RUN = key("run", null, "doctor: a train run directory whose metrics.json history the troubleshooting table reads");
    public static final ConfigKey DATASET = key("dataset", null, "prepare-data source: fashion-mnist | seed-quadrants | seed-sum | cifar10 | seq-classify | seq-random | seq-varlen | sines | csv-series | seq-reverse | kjv (King James Bible, Debian bible-kjv) | text (a UTF-8 file at --source-path) | topics (generated 4-topic sentences for encoder-classifier)");
    public static final ConfigKey SOURCE_PATH = key("source-path", null, "where the raw files are (fashion-mnist: the idx .gz directory; cifar10: the directory of data_batch_1..5.bin and test_batch.bin; csv-series: the CSV file URI, series in its last column; text: the corpus file, any Hadoop URI)");
    public static final ConfigKey WINDOW = key("window", "50", "prepare-data sines, csv-series: past steps a forecaster sees (>= 2)");
    public static final ConfigKey HORIZON = key("horizon", "10", "prepare-data sines, csv-series: future steps a forecaster predicts (>= 1)");
    public static final ConfigKey LIMIT = key("limit", "0", "prepare-data: keep at most this many examples per split (>= 0), 0 keeps all");
    public static final ConfigKey MODEL_PATH = key("model-path", null, "evaluate, infer: URI of a model.zip written by train (evaluate: several, comma-separated, compares them)");
    public static final ConfigKey SPLIT = key("split", "test", "evaluate, infer: dataset split to use (train | val | test)");
    public static final ConfigKey FORMAT = key("format", "auto", "infer: input format: auto | shards (a prepared dataset) | csv (header; optional id, label columns) | parquet (a 'features' array column)");

    // language models (gpt) and text datasets (kjv, text)
    public static final ConfigKey TOKENIZER = key("tokenizer", "char", "prepare-data (kjv, text): char (one id per character) | bpe (byte-level BPE trained on the corpus)");
    public static final ConfigKey VOCAB_SIZE = key("vocab-size", "512", "prepare-data --tokenizer=bpe: vocabulary size, 256 bytes + learned merges (> 256)");
    public static final ConfigKey SEQ_LEN = key("seq-len", "128", "prepare-data (kjv, text, topics): tokens per example window T (>= 1; topics: the padded sentence length, >= 4)");
    public static final ConfigKey HOLDOUT_WINDOWS = key("holdout-windows", "256", "prepare-data (kjv, text): at most this many val and this many test windows (>= 1)");
    public static final ConfigKey CONTEXT = key("context", "512", "gpt, encoder-classifier: position-table rows, the seed's max_seq_len (>= the dataset's seq-len); generation crops prompts to the dataset's seq-len");
    public static final ConfigKey HEADS = key("heads", "8", "gpt, encoder-classifier: attention heads (>= 1, divides width)");
    public static final ConfigKey WIDTH = key("width", "256", "gpt, encoder-classifier: model width d_model (>= 1)");
    public static final ConfigKey FF_WIDTH = key("ff-width", "1024", "gpt, encoder-classifier: feed-forward width d_ff (>= 1)");
    public static final ConfigKey PROMPT = key("prompt", "", "generate: the input text; gpt: the text the sampled continuation starts from (may be empty); seq2seq: the source string, e.g. digits to reverse");
    public static final ConfigKey MAX_NEW_TOKENS = key("max-new-tokens", "200", "generate: tokens to sample (>= 0)");
    public static final ConfigKey TEMPERATURE = key("temperature", "1.0", "generate: logits are divided by this before sampling (> 0)");
    public static final ConfigKey TOP_K = key("top-k", "0", "generate: sample among the k most likely tokens only (>= 0; 0: all)");

    private static final Map<String, ConfigKey> ALL = index(List.of(MASTER, MODEL, DATA, OUT, EPOCHS, DIST, SEED,
            BATCH_SIZE, LR, WEIGHT_DECAY, T_MAX, MIN_LR, OPTIMIZER, MOMENTUM, BETA1, BETA2, SCHEDULE, WARMUP_STEPS,
            TOTAL_STEPS, MIN_LR_RATIO, PCT_START, STEP_SIZE, GAMMA, ACCUMULATE, EMA_DECAY, PRECISION, CLIP_NORM, HIDDEN, LAYERS, EMBED, DROPOUT, DROPOUT2,
            LABEL_SMOOTHING, AUGMENT, TRANSFER, WEIGHTS, PATIENCE, ENCODING, TOPK_DENSITY, PEER_TIMEOUT_SECONDS, THRESHOLD, MAX_UPDATE_DENSITY, RESIDUAL_CLIP,
            AVERAGING_FREQUENCY, AERON_PORT, CONTROLLER, NETWORK_MASK, MAX_TRAIN_MINUTES, TIMEOUT_MINUTES, PROGRESS_SECONDS, CHECKPOINT_EVERY,
            KEEP_CHECKPOINTS, RESUME, AUTO_RESUME, SKIP_BAD_SHARDS, LR_START, LR_END, LR_STEPS, RUN,
            DATASET, SOURCE_PATH, WINDOW, HORIZON, LIMIT, MODEL_PATH, SPLIT, FORMAT,
            TOKENIZER, VOCAB_SIZE, SEQ_LEN, HOLDOUT_WINDOWS, CONTEXT, HEADS, WIDTH, FF_WIDTH,
            PROMPT, MAX_NEW_TOKENS, TEMPERATURE, TOP_K));

    /** Every key, in declaration order. */
    public static Map<String, ConfigKey> all() {
        return ALL;
    }

    private static ConfigKey key(String name, String defaultValue, String doc) {
        return new ConfigKey(name, defaultValue, doc);
    }

    private static Map<String, ConfigKey> index(List<ConfigKey> keys) {
        Map<String, ConfigKey> map = new LinkedHashMap<>();
        for (ConfigKey k : keys) {
            map.put(k.name(), k);
        }
        return java.util.Collections.unmodifiableMap(map);
    }

    private Keys() {}
}
