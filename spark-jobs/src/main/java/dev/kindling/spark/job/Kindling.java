package dev.kindling.spark.job;

import dev.kindling.core.config.CommandLine;
import dev.kindling.core.config.Config;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.io.InputException;
import dev.kindling.core.train.MetricsJson;
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
            Config.Builder b = Config.builder();
            if (command == Command.DEMO) {
                DemoJob.applyPreset(b, cl.flags());
            }
            if (cl.configFile() != null) {
                b.file(cl.configFile());
            }
            Config config = b.apply(cl.flags(), "on the command line").build();
            Map<String, Object> result = switch (command) {
                case PREPARE_DATA -> PrepareDataJob.summary(PrepareDataJob.run(config));
                case TRAIN -> TrainJob.run(config).metrics();
                case EVALUATE -> EvaluateJob.run(config);
                case INFER -> InferJob.run(config);
                case PREFLIGHT -> PreflightJob.run(config);
                case GENERATE -> GenerateJob.run(config);
                case LR_FIND -> LrFindJob.run(config);
                case DOCTOR -> DoctorJob.run(config);
                case DEMO -> DemoJob.run(config);
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

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null || t instanceof java.util.concurrent.ExecutionException)) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private Kindling() {}
}
