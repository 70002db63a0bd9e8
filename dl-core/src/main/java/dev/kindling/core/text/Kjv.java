package dev.kindling.core.text;

import dev.kindling.core.io.InputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The King James Bible from Debian's {@code bible-kjv} (program) and {@code bible-kjv-text} (data),
 * printed exactly as the seed's PyTorch program reads it ({@code bible -l100000 gen1:1-rev22:21}:
 * chapter headings and numbered verses, 4,298,239 characters, 73 distinct).
 */
public final class Kjv {
    public static final List<String> COMMAND = List.of("bible", "-l100000", "gen1:1-rev22:21");

    public static String read() throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(COMMAND).redirectErrorStream(false).start();
        } catch (IOException e) {
            throw new InputException("dataset=kjv: the 'bible' program is missing; install Debian's bible-kjv and bible-kjv-text "
                    + "(apt-get install bible-kjv bible-kjv-text; scripts/kindling does this on demand) or use --dataset=text --source-path=<file>");
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new InputException("dataset=kjv: '" + String.join(" ", COMMAND) + "' failed: "
                        + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the KJV", e);
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private Kjv() {}
}
