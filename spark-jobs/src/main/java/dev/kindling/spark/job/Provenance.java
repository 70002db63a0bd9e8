package dev.kindling.spark.job;

import dev.kindling.core.data.Manifest;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where a model came from: project and library versions (written by the build), the git commit
 * (from {@code KINDLING_GIT_COMMIT}, which scripts/kindling sets), the dataset's fingerprint and
 * the seed. Stored in every model.zip and run directory.
 */
public final class Provenance {

    public static Map<String, Object> of(Manifest data, long seed, String dataUri) {
        Map<String, Object> p = new LinkedHashMap<>();
        Properties build = build();
        p.put("kindling_version", build.getProperty("version", "unknown"));
        p.put("git_commit", System.getenv().getOrDefault("KINDLING_GIT_COMMIT", "unknown"));
        Map<String, String> libs = new LinkedHashMap<>();
        for (String k : new String[] {"dl4j", "dl4j-spark", "spark", "scala", "hadoop"}) {
            libs.put(k, build.getProperty(k, "unknown"));
        }
        p.put("libraries", libs);
        p.put("java", System.getProperty("java.version"));
        p.put("dataset", data.name());
        p.put("dataset_uri", dataUri);
        p.put("dataset_fingerprint", data.fingerprint());
        p.put("seed", seed);
        p.put("created", Instant.now().toString());
        return p;
    }

    static Properties build() {
        Properties p = new Properties();
        try (InputStream in = Provenance.class.getResourceAsStream("/kindling-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new IllegalStateException("kindling-build.properties unreadable", e);
        }
        return p;
    }

    private Provenance() {}
}
