package dev.kindling.spark.runtime;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs distributed work with a hard timeout and a heartbeat. DL4J's shared master can hang for
 * ever in {@code BlockingObserver.waitTillDone}; here that becomes an error naming the cause after
 * the timeout, and Spark's jobs are cancelled.
 */
public final class Watchdog {
    private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);

    /** Thrown when the work did not finish in time. */
    public static final class TimeoutError extends RuntimeException {
        TimeoutError(String message) {
            super(message);
        }
    }

    public static <T> T run(JavaSparkContext sc, String what, Duration timeout, int heartbeatSeconds, Callable<T> work)
            throws Exception {
        ExecutorService runner = Executors.newSingleThreadExecutor(daemon("kindling-" + what.replace(' ', '-')));
        ScheduledExecutorService beat = Executors.newSingleThreadScheduledExecutor(daemon("kindling-heartbeat"));
        long start = System.nanoTime();
        beat.scheduleAtFixedRate(() -> LOG.info("{}: running {}s; {}", what,
                (System.nanoTime() - start) / 1_000_000_000L, tasks(sc)), heartbeatSeconds, heartbeatSeconds, TimeUnit.SECONDS);
        String group = "kindling-" + what.replace(' ', '-') + "-" + start;
        String described = sc.getLocalProperty(OnExecutors.JOB_DESCRIPTION); // the caller's name for its jobs wins in Spark's UI
        Future<T> f = runner.submit(() -> {
            sc.setJobGroup(group, described != null ? described : what, true); // cancelling interrupts the tasks' threads, not only marks them killed
            return work.call();
        });
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            sc.cancelJobGroup(group);
            sc.cancelAllJobs();
            f.cancel(true);
            throw new TimeoutError(what + " did not finish in " + minutes(timeout) + " min (" + tasks(sc)
                    + "): a worker is most likely stuck in DL4J's Aeron gradient sharing (BlockingObserver.waitTillDone);"
                    + " re-run, try --dist=averaging, or raise --timeout-minutes if the epoch is simply long");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw e;
        } finally {
            beat.shutdownNow();
            runner.shutdownNow();
        }
    }

    static String minutes(Duration d) {
        return java.math.BigDecimal.valueOf(d.toMillis() / 60_000.0).stripTrailingZeros().toPlainString();
    }

    /** Completed and total tasks of the active stages, e.g. {@code tasks=3/8}. */
    static String tasks(JavaSparkContext sc) {
        int done = 0;
        int total = 0;
        for (int id : sc.statusTracker().getActiveStageIds()) {
            SparkStageInfo s = sc.statusTracker().getStageInfo(id);
            if (s != null) {
                done += s.numCompletedTasks();
                total += s.numTasks();
            }
        }
        return "tasks=" + done + "/" + total;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    private Watchdog() {}
}
