package dev.kindling.core.data;

import dev.kindling.core.io.InputException;
import dev.kindling.core.io.Storage;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Verifies shards against their manifest before training: checksum (a changed or corrupt file), that
 * it decodes, shapes (features {@code [b, featureShape...]}, labels {@code [b, labelShape...]}, masks
 * {@code [b, T]} where the manifest says masked, {@code 1 <= b <= batch}), finite features and labels,
 * and that the manifest's example counts are true. Every failure names the file, the
 * record where it applies, and the fix.
 */
public final class ShardCheck {

    /** One shard's verdict: its examples, or why it is unusable. */
    public static final class Result implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String split;
        public final String path;
        public final long examples;
        public final String problem;

        Result(String split, String path, long examples, String problem) {
            this.split = split;
            this.path = path;
            this.examples = examples;
            this.problem = problem;
        }
    }

    public static long crc32(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    /** Checks one shard's bytes; never throws for a bad shard, reports it. */
    public static Result check(String split, String path, byte[] bytes, long expectedCrc, Manifest m) {
        long crc = crc32(bytes);
        if (crc != expectedCrc) {
            return bad(split, path, "checksum " + Long.toHexString(crc) + " but the manifest says " + Long.toHexString(expectedCrc)
                    + " (" + bytes.length + " bytes): the file changed or is corrupt");
        }
        DataSet ds;
        try {
            ds = Shards.decode(bytes, path);
        } catch (InputException e) {
            return bad(split, path, e.getMessage());
        }
        long[] f = ds.getFeatures().shape();
        long[] l = ds.getLabels().shape();
        long b = f[0];
        if (!shapeIs(f, b, m.featureShape()) || !shapeIs(l, b, m.labelShape()) || b < 1 || b > m.batchSize()) {
            return bad(split, path, "features " + java.util.Arrays.toString(f) + " and labels " + java.util.Arrays.toString(l)
                    + ", expected [b, " + join(m.featureShape()) + "] and [b, " + join(m.labelShape()) + "] with 1 <= b <= " + m.batchSize());
        }
        if (m.masked()) {
            INDArray fm = ds.getFeaturesMaskArray();
            INDArray lm = ds.getLabelsMaskArray();
            if (fm == null || lm == null || fm.rank() != 2 || lm.rank() != 2 || fm.size(0) != b || lm.size(0) != b) {
                return bad(split, path, "masks " + (fm == null ? "none" : java.util.Arrays.toString(fm.shape())) + " and "
                        + (lm == null ? "none" : java.util.Arrays.toString(lm.shape())) + ", expected feature and label masks [b, T] with b = " + b);
            }
        }
        String features = firstNonFinite(ds.getFeatures(), m.featureWidth(), "feature");
        if (features != null) {
            return bad(split, path, features);
        }
        String labels = firstNonFinite(ds.getLabels(), m.labelWidth(), "label");
        if (labels != null) {
            return bad(split, path, labels);
        }
        return new Result(split, path, f[0], null);
    }

    private static boolean shapeIs(long[] actual, long b, int[] perExample) {
        if (actual.length != perExample.length + 1 || actual[0] != b) {
            return false;
        }
        for (int i = 0; i < perExample.length; i++) {
            if (actual[i + 1] != perExample[i]) {
                return false;
            }
        }
        return true;
    }

    private static String join(int[] shape) {
        return java.util.Arrays.stream(shape).mapToObj(String::valueOf).collect(java.util.stream.Collectors.joining(", "));
    }

    /** The first NaN/Inf value named by record and flat column, or null when all are finite. */
    private static String firstNonFinite(INDArray a, int width, String what) {
        float[] values = a.castTo(DataType.FLOAT).data().asFloat();
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return what + " " + values[i] + " at record " + (i / width) + ", column " + (i % width);
            }
        }
        return null;
    }

    /** Reads and checks one shard. */
    public static Result check(Storage storage, String split, String path, long expectedCrc, Manifest m) {
        try {
            return check(split, path, storage.readAll(path), expectedCrc, m);
        } catch (IOException e) {
            return bad(split, path, "unreadable (" + e.getMessage() + ")");
        }
    }

    /** One shard to check: its split, path and expected checksum. */
    public static final class Item implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String split;
        public final String path;
        public final long crc32;

        Item(String split, String path, long crc32) {
            this.split = split;
            this.path = path;
            this.crc32 = crc32;
        }

        public Result check(Storage storage, Manifest m) {
            return ShardCheck.check(storage, split, path, crc32, m);
        }
    }

    /** Every shard of every split of a dataset, with its checksum from the manifest. */
    public static List<Item> items(Storage storage, String dataset, Manifest m) {
        List<Item> out = new ArrayList<>();
        for (Map.Entry<String, Manifest.Split> e : m.splits().entrySet()) {
            List<String> paths = Shards.paths(storage, dataset, m, e.getKey(), null);
            for (int i = 0; i < paths.size(); i++) {
                out.add(new Item(e.getKey(), paths.get(i), e.getValue().crc32().get(i)));
            }
        }
        return out;
    }

    /** Every shard of every split of a dataset, checked in this JVM. */
    public static List<Result> checkAll(Storage storage, String dataset, Manifest m) {
        return items(storage, dataset, m).stream().map(item -> item.check(storage, m)).toList();
    }

    /** What the checks found, for metrics.json and the log. */
    public record Report(Map<String, List<String>> usable, List<Result> bad, Map<String, Long> examples) {
        public Map<String, Object> toJson() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("shards_checked", usable.values().stream().mapToInt(List::size).sum() + bad.size());
            j.put("bad_shards", bad.stream().map(r -> r.path + ": " + r.problem).toList());
            j.put("examples", examples);
            return j;
        }
    }

    /**
     * Sorts results into usable shards per split, bad ones, and examples per split. Without
     * {@code skipBad} any bad shard is an error; with it, the bad ones are reported and left out. A
     * manifest whose counts disagree with a fully readable dataset is an error either way, as is a
     * split with nothing usable.
     */
    public static Report report(List<Result> results, Manifest m, String dataset, boolean skipBad) {
        Map<String, List<String>> usable = new LinkedHashMap<>();
        Map<String, Long> examples = new LinkedHashMap<>();
        List<Result> bad = new ArrayList<>();
        for (String split : m.splits().keySet()) {
            usable.put(split, new ArrayList<>());
            examples.put(split, 0L);
        }
        for (Result r : results) {
            if (r.problem == null) {
                usable.get(r.split).add(r.path);
                examples.merge(r.split, r.examples, Long::sum);
            } else {
                bad.add(r);
            }
        }
        if (!bad.isEmpty() && !skipBad) {
            Result first = bad.get(0);
            throw new InputException("shard=" + first.path + ": " + first.problem + (bad.size() > 1 ? " (and " + (bad.size() - 1)
                    + " more bad shards)" : "") + "; re-run prepare-data, or pass --skip-bad-shards to train without them");
        }
        for (Map.Entry<String, Manifest.Split> e : m.splits().entrySet()) {
            long found = examples.get(e.getKey());
            boolean complete = bad.stream().noneMatch(r -> r.split.equals(e.getKey()));
            if (complete && found != e.getValue().examples()) {
                throw new InputException("manifest=" + dataset + "/" + Manifest.FILE + ": says split " + e.getKey() + " has "
                        + e.getValue().examples() + " examples but its shards hold " + found + "; re-run prepare-data");
            }
            if (usable.get(e.getKey()).isEmpty() && e.getValue().shards() > 0) {
                throw new InputException("data=" + dataset + ": no usable shard left in split " + e.getKey() + "; re-run prepare-data");
            }
        }
        return new Report(usable, bad, examples);
    }

    private static Result bad(String split, String path, String problem) {
        return new Result(split, path, 0, problem);
    }

    private ShardCheck() {}
}
