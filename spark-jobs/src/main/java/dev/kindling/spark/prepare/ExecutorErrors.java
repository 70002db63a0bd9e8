package dev.kindling.spark.prepare;

import dev.kindling.core.io.InputException;
import dev.kindling.core.io.Storage;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.Supplier;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkException;

/**
 * Spark actions whose tasks may fail on bad input. A task that threw an {@link InputException} reaches
 * the driver only as text inside a {@link SparkException}: that message is the one the user needs.
 */
public final class ExecutorErrors {

    /** Runs a Spark action, rethrowing a task's InputException as one. */
    public static <T> T onExecutors(Supplier<T> action) {
        try {
            return action.get();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw unwrapped(e);
        }
    }

    static RuntimeException unwrapped(Exception e) {
        String marker = InputException.class.getName() + ": ";
        String m = String.valueOf(e.getMessage());
        int at = m.indexOf(marker);
        if (e instanceof SparkException && at >= 0) {
            return new InputException(m.substring(at + marker.length()).lines().findFirst().orElse(""), e);
        }
        return new IllegalStateException(e);
    }

    /** How long a failed job's remaining tasks get to end before its output is deleted anyway. */
    static final long STRAGGLER_WAIT_MS = 60_000;

    /**
     * Deletes a failed job's temporary output once no task runs any more. When one task fails, Spark ends
     * the job but lets its other running tasks run to their end (it does not interrupt them, and stopping
     * the context does not wait for them): deleted at once, the directory is created again by a task that
     * writes one more shard (seen in CI: a {@code x.tmp-...} left beside the dataset's path).
     */
    public static void deleteAfterTasksEnd(SparkContext sc, Storage storage, String tmp) throws IOException {
        long deadline = System.nanoTime() + STRAGGLER_WAIT_MS * 1_000_000;
        try {
            while (System.nanoTime() < deadline
                    && Arrays.stream(sc.statusTracker().getExecutorInfos()).anyMatch(e -> e.numRunningTasks() > 0)) {
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            storage.delete(tmp);
        }
    }

    private ExecutorErrors() {}
}
