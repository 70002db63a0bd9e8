package dev.kindling.spark.job;

import dev.kindling.core.config.CommandLine;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Settings;
import dev.kindling.core.config.SettingsLoader;
import dev.kindling.core.io.InputException;
import dev.kindling.core.metrics.MetricsJson;
import dev.kindling.core.model.Architecture;
import dev.kindling.core.model.ModelConfig;
import dev.kindling.spark.config.DemoConfig;
import dev.kindling.spark.config.DoctorConfig;
import dev.kindling.spark.config.EvaluateConfig;
import dev.kindling.spark.config.GenerateConfig;
import dev.kindling.spark.config.InferConfig;
import dev.kindling.spark.config.LrFindConfig;
import dev.kindling.spark.config.PrepareConfig;
import dev.kindling.spark.config.ReportConfig;
import dev.kindling.spark.config.TrainConfig;
import java.io.PrintStream;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one entry point spark-submit runs: {@code kindling <command> [config.properties] [--key=value ...]}.
 * Only this class chooses exit codes: 0 success, 1 failure, 2 usage or configuration error.
 */
public final class Kindling {
    private static final Logger LOG = LoggerFactory.getLogger(Kindling.class);

    public static void main(String[] args) {
        System.exit(run(System.out, System.err, args));
    }

    static int run(PrintStream out, PrintStream err, String... args) {
        try {
            CommandLine cl = CommandLine.parse(args);
            if (cl.help()) {
                out.print(cl.command().equals("help") ? Command.overview() : Command.byName(cl.command()).help());
                return 0;
            }
            Command command = Command.byName(cl.command());
            Object config = command.config.apply(load(command, cl)); // every key checked here, before any work
            Map<String, Object> result = switch (command) {
                case PREPARE_DATA -> PrepareDataJob.summary(PrepareDataJob.run((PrepareConfig) config));
                case TRAIN -> TrainJob.run((TrainConfig) config).metrics();
                case EVALUATE -> EvaluateJob.run((EvaluateConfig) config);
                case INFER -> InferJob.run((InferConfig) config);
                case PREFLIGHT -> PreflightJob.run((TrainConfig) config);
                case GENERATE -> GenerateJob.run((GenerateConfig) config);
                case LR_FIND -> LrFindJob.run((LrFindConfig) config);
                case DOCTOR -> DoctorJob.run((DoctorConfig) config);
                case DEMO -> DemoJob.run((DemoConfig) config);
                case REPORT -> ReportJob.run((ReportConfig) config);
            };
            out.println(MetricsJson.line(result));
            return 0;
        } catch (ConfigException e) {
            err.println("kindling: " + e.getMessage());
            return 2;
        } catch (InputException e) {
            LOG.debug("input error", e);
            err.println("kindling: " + e.getMessage());
            return 1;
        } catch (Exception | Error e) {
            LOG.error("failed", e);
            err.println("kindling: failed: " + rootMessage(e));
            return 1;
        }
    }

    /**
     * The command's settings in layers: defaults, the chosen model's own defaults (the GPT's AdamW
     * betas), the demo's preset, the config file, the flags. The model is chosen by the file and flags
     * alone, so both sit above its defaults.
     */
    static Settings load(Command command, CommandLine cl) {
        SettingsLoader loader = command.loader();
        if (command.keys.contains(ModelConfig.MODEL)) {
            Architecture model = ModelConfig.MODEL.parse(userLayers(command.loader(), cl).peek(ModelConfig.MODEL));
            loader.defaults(model.defaults());
            if (command == Command.DEMO) {
                loader.apply(DemoJob.preset(model), "in the demo's preset of " + model.cliName());
            }
        }
        return userLayers(loader, cl).load();
    }

    private static SettingsLoader userLayers(SettingsLoader loader, CommandLine cl) {
        if (cl.configFile() != null) {
            loader.file(cl.configFile());
        }
        return loader.apply(cl.flags(), "on the command line");
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null || t instanceof java.util.concurrent.ExecutionException)) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private Kindling() {}
}
