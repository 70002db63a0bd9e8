package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.spark.runtime.AeronDirectories;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A JVM killed in the middle of Kindling's all-reduce leaves its Aeron directory; the next engine start removes it. */
class AeronDirectoriesTest {
    static final File SHM = new File("/dev/shm");

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aKilledWorkersDirectoryIsRemovedByTheNextStart(@TempDir Path dir) throws Exception {
        String data = dir.resolve("sum").toString();
        assertEquals(0, Cli.run("prepare-data", "--dataset=seed-sum", "--out=" + data).exit());
        Process p = Cli.childJvm(dir.resolve("killed.log"), Map.of(), "train", "--model=mlp", "--dist=shared", "--master=local[2]", "--transport=aeron",
                "--data=" + data, "--out=" + dir.resolve("run"), "--epochs=50", "--patience=0");
        String mine = AeronDirectories.PREFIX + p.pid() + "-";
        File left = null;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (left == null && System.nanoTime() < deadline && p.isAlive()) {
            File[] found = SHM.listFiles((d, name) -> name.startsWith(mine));
            left = found != null && found.length > 0 ? found[0] : null;
            Thread.sleep(100);
        }
        assertTrue(left != null, "the child's all-reduce never started; see " + dir.resolve("killed.log"));
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // kill -9: no shutdown hook runs
        assertTrue(left.isDirectory(), "a killed JVM leaves its Aeron directory behind");
        File alive = new File(SHM, AeronDirectories.forThisJvm("test" + System.nanoTime()));
        assertTrue(alive.mkdir());
        try {
            assertTrue(AeronDirectories.removeOrphans(SHM) >= 1);
            assertFalse(left.exists(), left + " was removed");
            assertTrue(alive.isDirectory(), "a live JVM's directory stays");
        } finally {
            Files.deleteIfExists(alive.toPath());
        }
    }
}
