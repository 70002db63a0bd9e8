package dev.kindling.spark.prepare;

import dev.kindling.core.data.ArrayRows;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.ShardFile;
import dev.kindling.core.io.InputException;
import dev.kindling.core.io.Storage;
import dev.kindling.core.text.TokenIds;
import dev.kindling.core.text.TokenWindows;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The driver's half of a table or image source: every split's shards from the partitions' results
 * ({@link PartResult}) renumbered, the examples left over shuffled (seeded) into the last shards, and the
 * bad records skipped summed per reason.
 *
 * @param splits     the manifest's splits, train, val, test
 * @param shards     every shard, in split then shard order (the fingerprint's order)
 * @param badRecords records skipped, per reason
 */
public record SplitAssembly(Map<String, Manifest.Split> splits, List<ShardFile> shards, Map<String, Long> badRecords) {
    /** The manifest's attributes {@code bad_records.<reason>}: records skipped by {@code --skip-bad-records}. */
    public static final String BAD_RECORDS = "bad_records";

    /**
     * @param limit examples kept per split at most
     * @param what  the source, for messages
     * @param empty what to add to the message when a split has no example
     */
    static SplitAssembly of(Storage storage, String tmp, List<PartResult> parts, int[] featureShape, int classes, int batchSize, long seed,
                            long limit, String what, String empty) throws IOException {
        Map<String, Long> bad = badRecords(parts.stream().map(r -> r.bad));
        Map<String, Manifest.Split> splits = new LinkedHashMap<>();
        List<ShardFile> all = new ArrayList<>();
        for (String split : SeededSplit.SPLITS) {
            List<ShardFile> shards = new ArrayList<>(SplitNumbering.renumber(storage, tmp, split, parts.stream().map(r -> r.shards.get(split)).toList(),
                    limit));
            long kept = shards.stream().mapToLong(ShardFile::examples).sum();
            ArrayRows rest = leftovers(parts, split, featureShape, classes, seed, limit - kept);
            shards.addAll(SplitNumbering.append(storage, tmp, split, shards.size(), rest, batchSize));
            Manifest.Split s = SplitNumbering.split(shards);
            if (s.examples() == 0) {
                throw new InputException(what + ": no " + split + " example" + empty + (bad.isEmpty() ? "" : "; bad records skipped: " + bad)
                        + "; every split needs at least one");
            }
            splits.put(split, s);
            all.addAll(shards);
        }
        return new SplitAssembly(splits, all, bad);
    }

    /** The examples every partition left over in {@code split}, in a seeded shuffle, at most {@code keep}. */
    private static ArrayRows leftovers(List<PartResult> parts, String split, int[] featureShape, int classes, long seed, long keep) {
        int width = ArrayRows.width(featureShape);
        float[] features = new float[parts.stream().mapToInt(r -> r.restFeatures.get(split).length).sum()];
        int at = 0;
        for (PartResult r : parts) {
            float[] f = r.restFeatures.get(split);
            System.arraycopy(f, 0, features, at, f.length);
            at += f.length;
        }
        int[] labels = TokenIds.concat(parts.stream().map(r -> r.restLabels.get(split)).toList());
        int[] order = new int[labels.length];
        Arrays.setAll(order, i -> i);
        TokenWindows.shuffle(order, seed);
        int n = (int) Math.min(order.length, keep);
        float[] shuffledFeatures = new float[n * width];
        int[] shuffledLabels = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(features, order[i] * width, shuffledFeatures, i * width, width);
            shuffledLabels[i] = labels[order[i]];
        }
        return PartitionShards.rows(featureShape, classes, shuffledFeatures, shuffledLabels, n);
    }

    /** The manifest attributes: examples read and records skipped per reason. */
    Map<String, String> attributes(List<PartResult> parts) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("examples_read", Long.toString(parts.stream().mapToLong(r -> r.examples).sum()));
        putBadRecords(a, badRecords);
        return a;
    }

    /** The partitions' bad records skipped, summed per reason (in reason order). */
    static Map<String, Long> badRecords(Stream<Map<String, Long>> perPartition) {
        Map<String, Long> bad = new TreeMap<>();
        perPartition.forEach(m -> m.forEach((reason, n) -> bad.merge(reason, n, Long::sum)));
        return bad;
    }

    /** {@code bad} as the manifest's {@code bad_records.<reason>} attributes. */
    static void putBadRecords(Map<String, String> attributes, Map<String, Long> bad) {
        bad.forEach((reason, n) -> attributes.put(BAD_RECORDS + "." + reason, Long.toString(n)));
    }
}
