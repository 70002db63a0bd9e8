package dev.kindling.spark.config;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * What {@code report} takes: one run directory (its report is rebuilt in place) or several (overlaid on
 * shared axes into {@code --out}).
 *
 * @param runs run directories, finished or still training ({@code <out>.partial})
 * @param out  where the page goes; null: the run's own report.html (one run only)
 */
public record ReportConfig(List<String> runs, String out) implements Serializable {
    public static final Setting<String> RUNS = Setting.string("runs", null,
            "report: a run directory, or several comma-separated to compare on shared axes");

    public static final List<Setting<?>> SETTINGS = List.of(RUNS, RunConfig.OUT);

    public static ReportConfig from(Settings s) {
        List<String> runs = Arrays.stream(s.require(RUNS).split(",")).map(String::trim).filter(r -> !r.isEmpty()).toList();
        String out = s.get(RunConfig.OUT);
        if (runs.isEmpty()) {
            throw new ConfigException("runs is empty: pass --runs=<run directory>[,<run directory>...]");
        }
        if (runs.size() > 1 && out == null) {
            throw new ConfigException("runs=" + String.join(",", runs) + ": comparing several runs needs --out=<file.html> for the page");
        }
        return new ReportConfig(runs, out);
    }
}
