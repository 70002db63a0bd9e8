package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.model.Architecture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The docs name every command and architecture, and the configuration reference is the one the code generates. */
class ReadmeTest {
    static final Path ROOT = Path.of("..");

    @Test
    void readmeNamesEveryCommandAndTheArchitecturePageEveryArchitecture() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        for (Command c : Command.values()) {
            assertTrue(readme.contains("`" + c.cliName), "README lacks command " + c.cliName);
        }
        String architectures = Files.readString(ROOT.resolve("docs/architectures.md"));
        for (Architecture a : Architecture.values()) {
            assertTrue(architectures.contains("| `" + a.cliName() + "` | `" + a.className() + "`"), "docs/architectures.md lacks " + a.cliName());
            assertTrue(Files.exists(ROOT.resolve("cluster-configs/jobs/" + a.cliName() + ".properties")), "no preset for " + a.cliName());
        }
    }

    /** Regenerate with: cp spark-jobs/target/configuration.md docs/configuration.md (this test writes it). */
    @Test
    void configurationReferenceIsGeneratedFromTheRecords() throws Exception {
        String generated = Command.reference();
        Files.writeString(Path.of("target", "configuration.md"), generated, StandardCharsets.UTF_8);
        assertEquals(generated, Files.readString(ROOT.resolve("docs/configuration.md")),
                "docs/configuration.md is stale: cp spark-jobs/target/configuration.md docs/configuration.md");
    }
}
