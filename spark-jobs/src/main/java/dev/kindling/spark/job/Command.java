package dev.kindling.spark.job;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.ConfigKey;
import dev.kindling.core.config.Keys;
import java.util.Arrays;
import java.util.List;

/** The commands of {@code scripts/kindling}, each with the keys its {@code --help} lists. */
enum Command {
    PREPARE_DATA("prepare-data", "Write a dataset as minibatch shards + manifest.json to any Hadoop URI.",
            List.of(Keys.DATASET, Keys.OUT, Keys.SOURCE_PATH, Keys.BATCH_SIZE, Keys.LIMIT, Keys.SEED, Keys.WINDOW, Keys.HORIZON,
                    Keys.TOKENIZER, Keys.VOCAB_SIZE, Keys.SEQ_LEN, Keys.HOLDOUT_WINDOWS)),
    TRAIN("train", "Train a model on a prepared dataset; writes model.zip and metrics.json to --out.",
            List.of(Keys.MODEL, Keys.DATA, Keys.OUT, Keys.EPOCHS, Keys.DIST, Keys.MASTER, Keys.SEED, Keys.LR,
                    Keys.WEIGHT_DECAY, Keys.T_MAX, Keys.MIN_LR, Keys.CLIP_NORM, Keys.HIDDEN, Keys.LAYERS, Keys.EMBED, Keys.DROPOUT, Keys.DROPOUT2,
                    Keys.LABEL_SMOOTHING, Keys.AUGMENT, Keys.TRANSFER, Keys.WEIGHTS, Keys.PATIENCE,
                    Keys.THRESHOLD, Keys.MAX_UPDATE_DENSITY, Keys.AVERAGING_FREQUENCY, Keys.AERON_PORT, Keys.CONTROLLER, Keys.NETWORK_MASK,
                    Keys.MAX_TRAIN_MINUTES, Keys.TIMEOUT_MINUTES, Keys.PROGRESS_SECONDS, Keys.CHECKPOINT_EVERY, Keys.KEEP_CHECKPOINTS, Keys.RESUME, Keys.AUTO_RESUME,
                    Keys.SKIP_BAD_SHARDS, Keys.CONTEXT, Keys.HEADS, Keys.WIDTH, Keys.FF_WIDTH,
                    Keys.OPTIMIZER, Keys.MOMENTUM, Keys.BETA1, Keys.BETA2, Keys.SCHEDULE, Keys.WARMUP_STEPS,
                    Keys.TOTAL_STEPS, Keys.MIN_LR_RATIO, Keys.PCT_START, Keys.STEP_SIZE, Keys.GAMMA, Keys.ACCUMULATE, Keys.EMA_DECAY, Keys.PRECISION)),
    EVALUATE("evaluate", "Evaluate a saved model on a dataset split; prints metrics JSON as stdout's last line.",
            List.of(Keys.MODEL_PATH, Keys.DATA, Keys.SPLIT, Keys.DIST, Keys.MASTER, Keys.OUT)),
    INFER("infer", "Predict every input row with a saved model; writes Parquet (id, prediction, probabilities, label) to --out.",
            List.of(Keys.MODEL_PATH, Keys.DATA, Keys.OUT, Keys.FORMAT, Keys.SPLIT, Keys.DIST, Keys.MASTER)),
    PREFLIGHT("preflight", "Check a training config before running it: data, output, Aeron port, shared memory, controller, executor memory.",
            List.of(Keys.MODEL, Keys.DATA, Keys.OUT, Keys.DIST, Keys.MASTER, Keys.AERON_PORT, Keys.CONTROLLER, Keys.NETWORK_MASK)),
    GENERATE("generate", "Run a saved generative model on a prompt: a language model samples a continuation (temperature, top-k); a seq2seq model decodes greedily. Prints JSON.",
            List.of(Keys.MODEL_PATH, Keys.PROMPT, Keys.MAX_NEW_TOKENS, Keys.TEMPERATURE, Keys.TOP_K, Keys.SEED)),
    LR_FIND("lr-find", "Learning-rate range test: exponential sweep on a fresh model, writes lr-find.csv/.svg/.json to --out and suggests a rate.",
            List.of(Keys.MODEL, Keys.DATA, Keys.OUT, Keys.LR_START, Keys.LR_END, Keys.LR_STEPS, Keys.SEED, Keys.OPTIMIZER, Keys.MOMENTUM,
                    Keys.BETA1, Keys.BETA2, Keys.WEIGHT_DECAY, Keys.HIDDEN, Keys.DROPOUT, Keys.DROPOUT2)),
    DOCTOR("doctor", "Diagnose a model before training (shape, initial loss, gradients, overfit one batch), a saved model's NaN/Inf, a run's history.",
            List.of(Keys.MODEL, Keys.DATA, Keys.MODEL_PATH, Keys.RUN, Keys.OUT, Keys.LR, Keys.SEED, Keys.OPTIMIZER, Keys.WEIGHT_DECAY,
                    Keys.HIDDEN, Keys.DROPOUT, Keys.DROPOUT2)),
    DEMO("demo", "Prepare the model's preset dataset under --out (when absent), train, evaluate, print the metrics.",
            List.of(Keys.MODEL, Keys.DIST, Keys.EPOCHS, Keys.OUT, Keys.MASTER, Keys.SEED));

    final String cliName;
    final String summary;
    final List<ConfigKey> keys;

    Command(String cliName, String summary, List<ConfigKey> keys) {
        this.cliName = cliName;
        this.summary = summary;
        this.keys = keys;
    }

    static Command byName(String name) {
        for (Command c : values()) {
            if (c.cliName.equals(name)) {
                return c;
            }
        }
        throw new ConfigException("unknown command '" + name + "'; valid: "
                + String.join(", ", Arrays.stream(values()).map(c -> c.cliName).toList()) + " (scripts/kindling --help)");
    }

    String help() {
        StringBuilder sb = new StringBuilder();
        sb.append("usage: scripts/kindling ").append(cliName).append(" [config.properties] [--key=value ...]\n\n")
                .append(summary).append("\n\nkeys (flags and config-file keys are one namespace):\n");
        for (ConfigKey k : keys) {
            sb.append(String.format("  --%-20s %s%s%n", k.name(), k.doc(),
                    k.defaultValue() == null ? "" : " [default " + k.defaultValue() + "]"));
        }
        return sb.toString();
    }

    static String overview() {
        StringBuilder sb = new StringBuilder("usage: scripts/kindling <command> [config.properties] [--key=value ...]\n\ncommands:\n");
        for (Command c : values()) {
            sb.append(String.format("  %-14s %s%n", c.cliName, c.summary));
        }
        sb.append("\nscripts/kindling <command> --help lists a command's keys. Exit codes: 0 ok, 1 failure, 2 usage or config error.\n");
        return sb.toString();
    }
}
