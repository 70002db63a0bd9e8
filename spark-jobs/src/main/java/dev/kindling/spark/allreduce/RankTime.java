package dev.kindling.spark.allreduce;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One replica's epoch under Kindling's master: where it ran and how its time split between its own
 * steps (forward, backward, update) and waiting in the all-reduce for the others. A replica whose own
 * steps took {@link #STRAGGLER_FACTOR} times the median is a straggler: every other replica waited
 * for it at every step.
 *
 * @param rank           the barrier task's rank
 * @param executor       Spark's executor id ("driver" in local mode)
 * @param host           the executor's host
 * @param steps          steps it trained
 * @param computeSeconds its own steps' time
 * @param waitSeconds    its time in the all-reduce, waiting for the slowest peer included
 */
public record RankTime(int rank, String executor, String host, int steps, double computeSeconds, double waitSeconds) implements Serializable {
    /** How much slower than the median a replica's own steps must be to be named. */
    public static final double STRAGGLER_FACTOR = 1.5;
    /** Fewer steps than this are too few to tell a straggler from noise. */
    public static final int MIN_STEPS = 20;

    /** The replicas whose own steps took more than {@link #STRAGGLER_FACTOR} x the median, named for the log. */
    public static List<String> stragglers(List<RankTime> ranks) {
        List<Double> compute = ranks.stream().map(RankTime::computeSeconds).sorted().toList();
        List<String> named = new ArrayList<>();
        if (compute.size() < 2) {
            return named;
        }
        int n = compute.size();
        double median = n % 2 == 1 ? compute.get(n / 2) : (compute.get(n / 2 - 1) + compute.get(n / 2)) / 2;
        for (RankTime r : ranks) {
            if (r.steps >= MIN_STEPS && median > 0 && r.computeSeconds > STRAGGLER_FACTOR * median) {
                named.add(String.format("rank %d (executor %s on %s): its steps took %.1fx the median (%.1f s against %.1f s)",
                        r.rank, r.executor, r.host, r.computeSeconds / median, r.computeSeconds, median));
            }
        }
        return named;
    }

    /** As metrics.json reports it. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rank", rank);
        m.put("executor", executor);
        m.put("host", host);
        m.put("steps", steps);
        m.put("compute_s", computeSeconds);
        m.put("wait_s", waitSeconds);
        return m;
    }
}
