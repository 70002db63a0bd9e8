package dev.kindling.core.data;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.io.RunDirectory;
import dev.kindling.core.io.Storage;
import dev.kindling.core.text.CharTokenizer;
import dev.kindling.core.text.TokenWindows;
import dev.kindling.core.text.Tokenizer;
import dev.kindling.core.text.TokenizerJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a dataset as pre-batched shards plus {@code manifest.json}. The whole dataset is written
 * under a temporary sibling directory and renamed into place at the end, so a reader never sees
 * half a dataset and a failed run leaves nothing at {@code out}.
 */
public final class DatasetWriter {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetWriter.class);

    /** What one source produced: named splits of examples and how to describe them (see {@link Manifest}). */
    public record Source(String name, String source, Task task, int[] featureShape, int[] labelShape, int numClasses,
                         boolean binary, List<String> classNames, boolean masked, Map<String, String> attributes,
                         Map<String, Rows> splits) {

        /** A classification source of flat examples: labels one-hot {@code [C]}, or {@code [1]} for a binary head. */
        public static Source classification(String name, String source, int[] featureShape, int numClasses, boolean binary,
                                            List<String> classNames, Map<String, Examples> splits) {
            Map<String, Rows> rows = new LinkedHashMap<>();
            splits.forEach((k, v) -> rows.put(k, v.rows(numClasses, binary)));
            return new Source(name, source, Task.CLASSIFICATION, featureShape, new int[] {binary ? 1 : numClasses}, numClasses,
                    binary, classNames, false, Map.of(), rows);
        }

        /** The same source with these attributes added (later ones win). */
        public Source withAttributes(Map<String, String> more) {
            Map<String, String> all = new LinkedHashMap<>(attributes);
            all.putAll(more);
            return new Source(name, source, task, featureShape, labelShape, numClasses, binary, classNames, masked, all, splits);
        }

        /** The same source with every split cut to its first {@code n} examples ({@code n <= 0}: all). */
        public Source limit(int n) {
            Map<String, Rows> rows = new LinkedHashMap<>();
            splits.forEach((k, v) -> rows.put(k, v.limit(n)));
            return new Source(name, source, task, featureShape, labelShape, numClasses, binary, classNames, masked, attributes, rows);
        }
    }

    public static Manifest write(Storage storage, String out, Source src, int batchSize, long seed) throws IOException {
        if (batchSize < 1) {
            throw new ConfigException("batch-size=" + batchSize + ": must be >= 1");
        }
        RunDirectory.checkAbsent(storage, out);
        String tmp = temporarySibling(out);
        try {
            MessageDigest digest = ShardFile.newDigest();
            Map<String, Manifest.Split> splits = new LinkedHashMap<>();
            for (Map.Entry<String, Rows> e : src.splits().entrySet()) {
                splits.put(e.getKey(), writeSplit(storage, tmp, e.getKey(), e.getValue(), src, batchSize, digest));
            }
            Manifest m = new Manifest(Manifest.FORMAT_VERSION, src.name(), src.source(), src.task(), src.featureShape(),
                    src.labelShape(), src.numClasses(), src.binary(), batchSize, splits, HexFormat.of().formatHex(digest.digest()),
                    seed, src.classNames(), src.masked(), src.attributes());
            publish(storage, tmp, out, m);
            LOG.info("prepare-data: wrote {} to {} ({} shards of {}; fingerprint {})", src.name(), out,
                    splits, batchSize, m.fingerprint().substring(0, 12));
            return m;
        } catch (IOException | RuntimeException e) {
            storage.delete(tmp);
            throw e;
        }
    }

    /**
     * Writes the manifest into the complete dataset at {@code tmp} and renames it to {@code out}: readers see
     * all or nothing. A byte-level BPE tokenizer is also written as {@value #TOKENIZER_JSON}, for use elsewhere.
     */
    public static void publish(Storage storage, String tmp, String out, Manifest m) throws IOException {
        String serialized = m.attributes().get(TokenWindows.TOKENIZER);
        Tokenizer tok = serialized == null ? null : Tokenizer.parse(serialized);
        if (tok != null && !(tok instanceof CharTokenizer)) {
            try (OutputStream os = storage.create(storage.child(tmp, TOKENIZER_JSON))) {
                os.write(TokenizerJson.write(tok).getBytes(StandardCharsets.UTF_8));
            }
        }
        try (OutputStream os = storage.create(storage.child(tmp, Manifest.FILE))) {
            os.write(m.toJson());
        }
        storage.rename(tmp, out);
    }

    /** A language-model dataset's byte-level BPE tokenizer in Hugging Face's format, beside the manifest. */
    public static final String TOKENIZER_JSON = "tokenizer.json";

    /** A sibling of {@code out} to write a dataset under before {@link #publish}. */
    public static String temporarySibling(String out) {
        return out + ".tmp-" + Long.toHexString(System.nanoTime());
    }

    private static Manifest.Split writeSplit(Storage storage, String dir, String split, Rows ex, Source src,
                                             int batchSize, MessageDigest digest) throws IOException {
        int shards = 0;
        List<Long> crc32 = new ArrayList<>();
        for (int start = 0; start < ex.size(); start += batchSize) {
            int end = Math.min(ex.size(), start + batchSize);
            byte[] bytes = serialize(ex.batch(start, end));
            digest.update(bytes);
            crc32.add(ShardCheck.crc32(bytes));
            try (OutputStream os = storage.create(storage.child(dir, Manifest.shardName(split, shards)))) {
                os.write(bytes);
            }
            shards++;
        }
        return new Manifest.Split(ex.size(), shards, crc32);
    }

    /** Rows [start, end) as one minibatch: features [b, d] and labels [b, 1] (binary) or one-hot [b, C]. */
    static DataSet toDataSet(Examples ex, int start, int end, int numClasses, boolean binary) {
        int b = end - start;
        int d = ex.features()[start].length;
        float[] f = new float[b * d];
        float[] l = new float[b * (binary ? 1 : numClasses)];
        for (int i = 0; i < b; i++) {
            float[] row = ex.features()[start + i];
            if (row.length != d) {
                throw new IllegalArgumentException("example " + (start + i) + " has " + row.length + " features, expected " + d);
            }
            System.arraycopy(row, 0, f, i * d, d);
            int y = ex.labels()[start + i];
            if (y < 0 || y >= numClasses) {
                throw new IllegalArgumentException("example " + (start + i) + " has label " + y + ", outside [0, " + numClasses + ")");
            }
            if (binary) {
                l[i] = y;
            } else {
                l[i * numClasses + y] = 1f;
            }
        }
        INDArray features = Nd4j.create(f, new long[] {b, d}, DataType.FLOAT);
        INDArray labels = Nd4j.create(l, new long[] {b, binary ? 1 : numClasses}, DataType.FLOAT);
        return new DataSet(features, labels);
    }

    static byte[] serialize(DataSet ds) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ds.save(bytes);
        return bytes.toByteArray();
    }

    private DatasetWriter() {}
}
