package dev.kindling.spark.config;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Setting;
import java.io.Serializable;
import java.util.regex.Pattern;

/**
 * {@code --master}: a Spark master URL in one of the forms Spark accepts, checked when the config is
 * built so that a malformed one is a one-line configuration error (exit 2) before Spark starts.
 *
 * @param url as given
 */
public record SparkMaster(String url) implements Serializable {
    private static final String HOST_PORT = "[A-Za-z0-9._\\-\\[\\]:]*[A-Za-z0-9.\\-\\]]:\\d{1,5}";
    /** Spark's own forms (SparkContext.createTaskScheduler): local, local[N|*], local[N|*, F], local-cluster[N, C, M], spark://h:p[,h:p], yarn, k8s://, mesos://. */
    private static final Pattern VALID = Pattern.compile("local"
            + "|local\\[(\\d+|\\*)\\]"
            + "|local\\[(\\d+|\\*)\\s*,\\s*\\d+\\]"
            + "|local-cluster\\[\\s*\\d+\\s*,\\s*\\d+\\s*,\\s*\\d+\\s*\\]"
            + "|spark://" + HOST_PORT + "(," + HOST_PORT + ")*"
            + "|yarn"
            + "|k8s://\\S+"
            + "|mesos://\\S+");

    public static final Setting<SparkMaster> MASTER = Setting.parsed("master", "local[2]",
            "local[N] | spark://host:port | yarn | k8s://https://host:port", "Spark master URL", SparkMaster::parse);

    public SparkMaster {
        if (!VALID.matcher(url).matches()) {
            throw new ConfigException("master=" + url + ": not a Spark master URL; use local[N], spark://host:port, yarn or k8s://https://host:port");
        }
        String[] ports = url.startsWith("spark://") ? url.substring("spark://".length()).split(",") : new String[0];
        for (String hostPort : ports) {
            int port = Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
            if (port < 1 || port > 65535) {
                throw new ConfigException("master=" + url + ": port " + port + " is not in 1-65535");
            }
        }
    }

    static SparkMaster parse(String raw) {
        return new SparkMaster(raw.trim());
    }

    @Override
    public String toString() {
        return url;
    }
}
