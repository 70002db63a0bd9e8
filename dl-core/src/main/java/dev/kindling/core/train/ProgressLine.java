package dev.kindling.core.train;

import java.io.PrintStream;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows progress at most once per interval: on a terminal one line rewritten in place, elsewhere (CI,
 * log files, spark-submit) a plain log line each time. {@code scripts/kindling} sets
 * {@value #TERMINAL_ENV}=1 when its stderr is a terminal; the JVM cannot tell by itself which of its
 * streams is one.
 */
public final class ProgressLine {
    public static final String TERMINAL_ENV = "KINDLING_TTY";
    private static final Logger LOG = LoggerFactory.getLogger(Progress.class);

    private final PrintStream terminal;
    private final long intervalNanos;
    private long lastShown;
    private boolean shownAny;
    private boolean open;

    /**
     * @param terminal where the rewritten line goes; null: log lines instead
     */
    public ProgressLine(PrintStream terminal, int intervalSeconds) {
        this.terminal = terminal;
        this.intervalNanos = intervalSeconds * 1_000_000_000L;
    }

    /** For this process's own console: stderr when the launcher said it is a terminal, else the log. */
    public static ProgressLine console(int intervalSeconds) {
        return new ProgressLine("1".equals(System.getenv(TERMINAL_ENV)) ? System.err : null, intervalSeconds);
    }

    /** Shows {@code line} when the interval has passed since the last one shown, or when {@code force}. */
    public synchronized void offer(Supplier<String> line, boolean force) {
        long now = System.nanoTime();
        if (!force && shownAny && now - lastShown < intervalNanos) {
            return;
        }
        shownAny = true;
        lastShown = now;
        if (terminal == null) {
            LOG.info(line.get());
        } else {
            terminal.print("\r\033[K" + line.get()); // back to the line's start, clear it, redraw
            terminal.flush();
            open = true;
        }
    }

    /** Ends a rewritten line, so that what is printed next starts on a line of its own. */
    public synchronized void finish() {
        if (open) {
            terminal.println();
            terminal.flush();
            open = false;
        }
    }
}
