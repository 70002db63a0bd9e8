package dev.kindling.core.data;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kindling.core.config.ConfigException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What {@code prepare-data} wrote: {@code <dataset>/manifest.json} beside {@code <split>/part-NNNNN.bin}
 * shards, each a serialized DL4J {@code DataSet} holding one minibatch.
 *
 * @param formatVersion  bumped when the shard layout changes
 * @param name           dataset name, e.g. {@code fashion-mnist}
 * @param source         the prepare-data source it came from
 * @param task           what the labels mean
 * @param featureShape   per-example feature shape, without the batch axis (an MLP input is {@code [d]},
 *                       an image {@code [C, H, W]}, a sequence {@code [C, T]} in DL4J's NCW layout)
 * @param labelShape     per-example label shape, without the batch axis ({@code [C]} one-hot, {@code [1]}
 *                       binary, {@code [d]} regression, {@code [V, T]} per-step classes)
 * @param numClasses     classes (2 for a binary task; the vocabulary for token outputs; 0 for regression)
 * @param binary         labels are one column of 0/1 (sigmoid head) rather than one-hot
 * @param batchSize      examples per shard (the last shard of a split may hold fewer)
 * @param splits         per split: examples and shard count
 * @param fingerprint    SHA-256 over every shard's bytes, in split then shard order (datasets written on Spark
 *                       executors: over every shard's SHA-256, {@link ShardFile#fingerprint})
 * @param seed           the seed the data was generated or shuffled with
 * @param classNames     a name per class
 * @param masked         shards carry feature and label masks {@code [b, T]} (variable-length sequences)
 * @param attributes     what a task needs beyond shapes, e.g. a tokenizer or a forecast baseline
 */
public record Manifest(int formatVersion, String name, String source, Task task, int[] featureShape, int[] labelShape,
                       int numClasses, boolean binary, int batchSize, Map<String, Split> splits, String fingerprint, long seed,
                       List<String> classNames, boolean masked, Map<String, String> attributes) implements Serializable {

    /** 2: per-shard CRC32 checksums. 3: task, label shape, masks and attributes. */
    public static final int FORMAT_VERSION = 3;
    public static final String FILE = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * @param examples examples in the split
     * @param shards   shard files in the split
     * @param crc32    each shard file's CRC32, in shard order
     */
    public record Split(long examples, int shards, List<Long> crc32) implements Serializable {
        public Split {
            crc32 = List.copyOf(crc32);
            if (crc32.size() != shards) {
                throw new IllegalArgumentException("split has " + shards + " shards but " + crc32.size() + " checksums");
            }
        }
    }

    public Manifest {
        featureShape = featureShape.clone();
        labelShape = labelShape.clone();
        splits = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(splits));
        classNames = List.copyOf(classNames);
        attributes = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(attributes));
    }

    /** Flattened label width per example. */
    public int labelWidth() {
        return Arrays.stream(labelShape).reduce(1, (a, b) -> a * b);
    }

    /** An attribute prepare-data recorded, or a clear error naming the dataset when it is absent. */
    public String attribute(String key) {
        String v = attributes.get(key);
        if (v == null) {
            throw new ConfigException("data=" + name + ": manifest has no attribute " + key + "; re-run prepare-data");
        }
        return v;
    }

    /** Flattened feature width. */
    public int featureWidth() {
        return Arrays.stream(featureShape).reduce(1, (a, b) -> a * b);
    }

    /** A split's features and labels decoded as float32, bytes (what a {@code ShardCache} of the whole split holds, masks aside). */
    public long decodedBytes(String split) {
        return split(split).examples() * ((long) featureWidth() + labelWidth()) * Float.BYTES;
    }

    public Split split(String split) {
        Split s = splits.get(split);
        if (s == null) {
            throw new ConfigException("split=" + split + ": dataset " + name + " has only " + splits.keySet());
        }
        return s;
    }

    /** Shard file name inside the dataset directory, e.g. {@code train/part-00007.bin}. */
    public static String shardName(String split, int index) {
        return split + "/part-" + String.format("%05d", index) + ".bin";
    }

    /** Every shard of a split, relative to the dataset directory. */
    public List<String> shardNames(String split) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < split(split).shards(); i++) {
            names.add(shardName(split, i));
        }
        return names;
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("manifest not serializable", e);
        }
    }

    public static Manifest fromJson(byte[] json, String where) {
        Manifest m;
        try {
            m = JSON.readValue(json, Manifest.class);
        } catch (IOException e) {
            throw new ConfigException("manifest=" + where + ": not a Kindling manifest (" + e.getMessage().lines().findFirst().orElse("") + "); re-run prepare-data");
        }
        if (m.formatVersion() != FORMAT_VERSION) {
            throw new ConfigException("manifest=" + where + ": format version " + m.formatVersion() + ", this Kindling reads " + FORMAT_VERSION + "; re-run prepare-data");
        }
        return m;
    }
}
