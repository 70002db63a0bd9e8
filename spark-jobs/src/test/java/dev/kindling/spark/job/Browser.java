package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Debian's Chromium, headless: the DOM a page ends with, its console messages, and a screenshot. */
final class Browser {
    /** @param dom the document after rendering; @param consoleLines every console message Chromium logged */
    record Rendered(String dom, List<String> consoleLines) {}

    static Rendered render(Path page, Path screenshot, Path work) throws Exception {
        return render(page.toUri().toString(), screenshot, work);
    }

    /** The same for any address Chromium can open, for example a live web UI. */
    static Rendered render(String page, Path screenshot, Path work) throws Exception {
        String chromium = Files.isExecutable(Path.of("/usr/bin/chromium")) ? "/usr/bin/chromium" : null;
        assertTrue(chromium != null, "no /usr/bin/chromium: install Debian's chromium (scripts/test.sh does: apt-get install chromium)");
        Files.createDirectories(work);
        Path dom = work.resolve("dom.html");
        Path log = work.resolve("console.log");
        run(work, List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + work.resolve("profile"),
                "--enable-logging=stderr", "--v=0", "--dump-dom", page), dom, log);
        run(work, List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + work.resolve("profile"),
                "--hide-scrollbars", "--window-size=1280,2600", "--screenshot=" + screenshot, page), work.resolve("shot.out"),
                work.resolve("shot.log"));
        List<String> console = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            if (line.contains(":CONSOLE")) {
                console.add(line);
            }
        }
        return new Rendered(Files.readString(dom), console);
    }

    private static void run(Path work, List<String> cmd, Path out, Path err) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium did not finish: " + cmd);
        assertEquals(0, p.exitValue(), "chromium failed: " + Files.readString(err));
    }

    private Browser() {}
}
