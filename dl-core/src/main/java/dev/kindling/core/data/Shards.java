package dev.kindling.core.data;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.io.InputException;
import dev.kindling.core.io.Storage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.dataset.DataSet;

/** Reads a prepared dataset: its manifest and its minibatch shards. */
public final class Shards {

    /** Loads and checks {@code <dataset>/manifest.json}; a missing dataset is a usage error. */
    public static Manifest manifest(Storage storage, String dataset) {
        String path = storage.child(dataset, Manifest.FILE);
        try {
            if (!storage.exists(path)) {
                throw new ConfigException("data=" + dataset + ": no " + Manifest.FILE + " there; prepare it first: scripts/kindling prepare-data --dataset=<source> --out=" + dataset);
            }
            return Manifest.fromJson(storage.readAll(path), path);
        } catch (IOException e) {
            throw new ConfigException("data=" + dataset + ": unreadable (" + e.getMessage() + ")");
        }
    }

    /** Full URIs of a split's shards, in order, or shuffled by {@code seed} when non-null. */
    public static List<String> paths(Storage storage, String dataset, Manifest m, String split, Long seed) {
        List<String> paths = new ArrayList<>();
        for (String name : m.shardNames(split)) {
            paths.add(storage.child(dataset, name));
        }
        if (seed != null) {
            Collections.shuffle(paths, new Random(seed));
        }
        return paths;
    }

    /** Reads one shard, naming the file when it is missing or not a DataSet. */
    public static DataSet load(Storage storage, String path) {
        byte[] bytes;
        try {
            bytes = storage.readAll(path);
        } catch (FileNotFoundException e) {
            throw new InputException("shard=" + path + ": missing; the dataset is incomplete, re-run prepare-data", e);
        } catch (IOException e) {
            throw new InputException("shard=" + path + ": unreadable (" + e.getMessage() + ")", e);
        }
        return decode(bytes, path);
    }

    /**
     * Decodes a shard's bytes with {@link ShardDecoder} (DL4J's format, read in bulk); a truncated or
     * foreign file is an error naming it.
     */
    public static DataSet decode(byte[] bytes, String path) {
        DataSet ds;
        try {
            ds = ShardDecoder.decode(bytes);
        } catch (RuntimeException e) {
            throw new InputException("shard=" + path + ": corrupt or truncated (" + bytes.length + " bytes; " + e.getMessage() + "); re-run prepare-data", e);
        }
        if (ds.getFeatures() == null || ds.getLabels() == null) {
            throw new InputException("shard=" + path + ": corrupt or truncated (" + bytes.length + " bytes, no features or labels); re-run prepare-data");
        }
        return ds;
    }

    private Shards() {}
}
