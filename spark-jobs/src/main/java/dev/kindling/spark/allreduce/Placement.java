package dev.kindling.spark.allreduce;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which workers of an epoch are threads of one JVM: the groups of ranks that reported the same JVM identity
 * ({@link LocalGroup#JVM}), each in rank order, the groups in the order of their smallest rank. The
 * smallest rank of a group leads it: it is the one that talks to the other groups over the network.
 */
public final class Placement {
    private final int[] groupOf;
    private final int[] localRank;
    private final int[][] groups;

    private Placement(int[] groupOf, int[] localRank, int[][] groups) {
        this.groupOf = groupOf;
        this.localRank = localRank;
        this.groups = groups;
    }

    /** The placement of workers whose JVM identities, by rank, are {@code jvmOf}. */
    public static Placement of(String[] jvmOf) {
        Map<String, List<Integer>> byJvm = new LinkedHashMap<>(); // insertion order: the order of each group's smallest rank
        for (int rank = 0; rank < jvmOf.length; rank++) {
            byJvm.computeIfAbsent(jvmOf[rank], k -> new ArrayList<>()).add(rank);
        }
        int[] groupOf = new int[jvmOf.length];
        int[] localRank = new int[jvmOf.length];
        int[][] groups = new int[byJvm.size()][];
        int g = 0;
        for (List<Integer> members : byJvm.values()) {
            groups[g] = members.stream().mapToInt(Integer::intValue).toArray();
            for (int i = 0; i < groups[g].length; i++) {
                groupOf[groups[g][i]] = g;
                localRank[groups[g][i]] = i;
            }
            g++;
        }
        return new Placement(groupOf, localRank, groups);
    }

    int workers() {
        return groupOf.length;
    }

    public int groupCount() {
        return groups.length;
    }

    int groupOf(int rank) {
        return groupOf[rank];
    }

    /** The rank's place within its group: 0 leads it. */
    int localRank(int rank) {
        return localRank[rank];
    }

    int groupSize(int group) {
        return groups[group].length;
    }

    /** The ranks of {@code group}, in order. */
    int[] members(int group) {
        return groups[group].clone();
    }

    boolean leads(int rank) {
        return localRank[rank] == 0;
    }

    /** Every worker in one JVM. */
    boolean oneJvm() {
        return groups.length == 1;
    }

    /** Every worker alone in its JVM. */
    public boolean allAlone() {
        return groups.length == groupOf.length;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (int[] members : groups) {
            s.append(s.length() == 0 ? "" : " ").append(java.util.Arrays.toString(members));
        }
        return groups.length + " JVM(s): " + s;
    }
}
