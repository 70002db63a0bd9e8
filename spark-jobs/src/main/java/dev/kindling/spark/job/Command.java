package dev.kindling.spark.job;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import dev.kindling.core.config.SettingsLoader;
import dev.kindling.spark.config.DemoConfig;
import dev.kindling.spark.config.DoctorConfig;
import dev.kindling.spark.config.EvaluateConfig;
import dev.kindling.spark.config.GenerateConfig;
import dev.kindling.spark.config.InferConfig;
import dev.kindling.spark.config.LrFindConfig;
import dev.kindling.spark.config.PrepareConfig;
import dev.kindling.spark.config.ReportConfig;
import dev.kindling.spark.config.TrainConfig;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The commands of {@code scripts/kindling}. Each takes the keys of the config records its job is
 * built from, and {@code --help} lists exactly those: a command cannot read a key its help omits.
 */
enum Command {
    PREPARE_DATA("prepare-data", "Write a dataset as minibatch shards + manifest.json to any Hadoop URI.", PrepareConfig.SETTINGS, PrepareConfig::from),
    TRAIN("train", "Train a model on a prepared dataset; writes model.zip and metrics.json to --out.", TrainConfig.SETTINGS, TrainConfig::from),
    EVALUATE("evaluate", "Evaluate a saved model on a dataset split; prints metrics JSON as stdout's last line.", EvaluateConfig.SETTINGS, EvaluateConfig::from),
    INFER("infer", "Predict every input row with a saved model; writes Parquet (id, prediction, probabilities, label) to --out.",
            InferConfig.SETTINGS, InferConfig::from),
    PREFLIGHT("preflight", "Check a training config before running it: data, output, Aeron port, shared memory, controller, executor memory.",
            TrainConfig.SETTINGS, TrainConfig::from),
    GENERATE("generate", "Run a saved generative model on a prompt: a language model samples a continuation (temperature, top-k); a seq2seq model decodes greedily. Prints JSON.",
            GenerateConfig.SETTINGS, GenerateConfig::from),
    LR_FIND("lr-find", "Learning-rate range test: exponential sweep on a fresh model, writes lr-find.csv/.svg/.json to --out and suggests a rate.",
            LrFindConfig.SETTINGS, LrFindConfig::from),
    DOCTOR("doctor", "Diagnose a model before training (shape, initial loss, gradients, overfit one batch), a saved model's NaN/Inf, a run's history.",
            DoctorConfig.SETTINGS, DoctorConfig::from),
    DEMO("demo", "Prepare the model's preset dataset under --out (when absent), train, evaluate, print the metrics.", DemoConfig.SETTINGS, DemoConfig::from),
    REPORT("report", "Rebuild a run's report.html (training or finished), or overlay several runs on shared axes into --out.", ReportConfig.SETTINGS,
            ReportConfig::from);

    final String cliName;
    final String summary;
    final List<Setting<?>> keys;
    /** Builds the command's config record from its settings: the only reader of its keys. */
    final Function<Settings, ?> config;

    Command(String cliName, String summary, List<Setting<?>> keys, Function<Settings, ?> config) {
        this.cliName = cliName;
        this.summary = summary;
        this.keys = keys;
        this.config = config;
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

    /** A loader for this command's keys that names the other commands taking a key it does not. */
    SettingsLoader loader() {
        return new SettingsLoader(keys).elsewhere(Command::commandsTaking);
    }

    /** The commands whose keys include {@code key}, comma-separated, or null when none does. */
    static String commandsTaking(String key) {
        String names = Arrays.stream(values()).filter(c -> c.keys.stream().anyMatch(s -> s.name().equals(key)))
                .map(c -> c.cliName).collect(Collectors.joining(", "));
        return names.isEmpty() ? null : names;
    }

    String help() {
        StringBuilder sb = new StringBuilder();
        sb.append("usage: scripts/kindling ").append(cliName).append(" [config.properties] [--key=value ...]\n\n")
                .append(summary).append("\n\nkeys (flags and config-file keys are one namespace; docs/configuration.md):\n");
        for (Setting<?> k : keys) {
            sb.append(String.format("  --%-20s %s%s%s%n", k.name(), k.doc(), k.valid().isEmpty() ? "" : " (" + k.valid() + ")",
                    k.defaultValue() == null ? "" : " [default " + k.defaultValue() + "]"));
        }
        return sb.toString();
    }

    /** docs/configuration.md: every command's keys as tables (ReadmeTest keeps the file equal to this). */
    static String reference() {
        StringBuilder sb = new StringBuilder("# Configuration reference\n\n")
                .append("Generated from the config records (`Command.reference()`); `scripts/kindling <command> --help` prints the same.\n")
                .append("Flags and config-file keys are one namespace: `--epochs=3` and a line `epochs=3` set the same key.\n")
                .append("Precedence: defaults < the model's own defaults < config file < flags. Spark's settings go to Spark (`--conf spark.*`).\n");
        for (Command c : values()) {
            sb.append("\n## `").append(c.cliName).append("`\n\n").append(c.summary).append("\n\n| key | valid | default | meaning |\n| --- | --- | --- | --- |\n");
            for (Setting<?> k : c.keys) {
                sb.append("| `--").append(k.name()).append("` | ").append(k.valid().replace("|", "\\|")).append(" | ")
                        .append(k.defaultValue() == null ? "" : "`" + k.defaultValue() + "`").append(" | ")
                        .append(k.doc().replace("|", "\\|")).append(" |\n");
            }
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
