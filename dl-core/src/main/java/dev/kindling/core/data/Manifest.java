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
 * @param featureShape   per-example feature shape, without the batch axis (an MLP input is {@code [d]})
 * @param numClasses     classes (2 for a binary task)
 * @param binary         labels are one column of 0/1 (sigmoid head) rather than one-hot
 * @param batchSize      examples per shard (the last shard of a split may hold fewer)
 * @param splits         per split: examples and shard count
 * @param fingerprint    SHA-256 over every shard's bytes, in split then shard order
 * @param seed           the seed the data was generated or shuffled with
 * @param classNames     a name per class
 */
public record Manifest(int formatVersion, String name, String source, int[] featureShape, int numClasses,
                       boolean binary, int batchSize, Map<String, Split> splits, String fingerprint, long seed,
                       List<String> classNames) implements Serializable {

    /** 2: per-shard CRC32 checksums. */
    public static final int FORMAT_VERSION = 2;
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
        splits = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(splits));
        classNames = List.copyOf(classNames);
    }

    /** Columns of the label array: 1 for a binary task, else one-hot over the classes. */
    public int labelWidth() {
        return binary ? 1 : numClasses;
    }

    /** Flattened feature width. */
    public int featureWidth() {
        return Arrays.stream(featureShape).reduce(1, (a, b) -> a * b);
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
