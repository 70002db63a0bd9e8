package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.Keys;
import dev.kindling.core.model.Architecture;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README documents every configuration key, architecture and command that exists. */
class ReadmeTest {

    @Test
    void readmeListsEveryKeyArchitectureAndCommand() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        for (String key : Keys.all().keySet()) {
            assertTrue(readme.contains("`--" + key + "`"), "README lacks key --" + key);
        }
        for (Architecture a : Architecture.values()) {
            assertTrue(readme.contains("| `" + a.cliName() + "` | `" + a.className() + "`"), "README lacks " + a.cliName());
            assertTrue(Files.exists(Path.of("..", "cluster-configs", "jobs", a.cliName() + ".properties")), "no preset for " + a.cliName());
        }
        for (Command c : Command.values()) {
            assertTrue(readme.contains("`" + c.cliName), "README lacks command " + c.cliName);
        }
    }
}
