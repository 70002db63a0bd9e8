package dev.kindling.spark.allreduce;

import java.util.ArrayList;
import java.util.List;

/**
 * Rank 0's look at the replicas while an epoch runs: every {@link RankTime#MIN_STEPS} rounds it takes
 * each replica's own work over those rounds (the all-reduce carries it, {@link AllReduce#busySeconds})
 * and names any replica {@link RankTime#stragglers} calls one, by executor and host, so a person
 * watching the progress lines knows which machine holds every step back before the epoch ends.
 */
final class LiveStragglers {
    private final List<String> executors;
    private final List<String> hosts;
    private double[] windowStart;
    private int roundsInWindow;

    /** @param where each rank's "executor host", in rank order (the barrier's allGather) */
    LiveStragglers(String[] where) {
        executors = new ArrayList<>();
        hosts = new ArrayList<>();
        for (String w : where) {
            int space = w.indexOf(' ');
            executors.add(w.substring(0, space));
            hosts.add(w.substring(space + 1));
        }
    }

    /** After a round, with every rank's busy seconds so far: the stragglers of the window it closes, if it closes one. */
    List<String> afterRound(double[] busySeconds) {
        if (windowStart == null) {
            windowStart = busySeconds.clone();
            return List.of();
        }
        if (++roundsInWindow < RankTime.MIN_STEPS) {
            return List.of();
        }
        List<RankTime> window = new ArrayList<>();
        for (int r = 0; r < busySeconds.length; r++) {
            window.add(new RankTime(r, executors.get(r), hosts.get(r), roundsInWindow, busySeconds[r] - windowStart[r], 0));
        }
        windowStart = busySeconds.clone();
        roundsInWindow = 0;
        return RankTime.stragglers(window);
    }
}
