package dev.kindling.spark.job;

import dev.kindling.core.config.Config;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Keys;
import dev.kindling.core.data.Cifar10;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.FashionMnist;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.SeedTasks;
import dev.kindling.core.data.Task;
import dev.kindling.core.io.RunDirectory;
import dev.kindling.core.sequence.CsvSeries;
import dev.kindling.core.sequence.DigitReversal;
import dev.kindling.core.sequence.SequenceTasks;
import dev.kindling.core.text.BytePairTokenizer;
import dev.kindling.core.text.CharTokenizer;
import dev.kindling.core.text.Kjv;
import dev.kindling.core.text.TokenWindows;
import dev.kindling.core.text.Tokenizer;
import dev.kindling.core.text.TopicSentences;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kindling prepare-data --dataset=<source> --out=<uri>}: reads or generates a source and
 * writes it as minibatch shards plus manifest.json to any Hadoop URI. The sources so far are small
 * enough to read on the driver in one pass; the write goes straight to the target file system.
 */
public final class PrepareDataJob {
    public static final List<String> SOURCES = List.of("fashion-mnist", "seed-quadrants", "seed-sum", "cifar10",
            "seq-classify", "seq-random", "seq-varlen", "sines", "csv-series", "seq-reverse", "kjv", "text", "topics");

    public static Manifest run(Config c) throws Exception {
        String source = c.oneOf(Keys.DATASET, SOURCES);
        int batch = c.intValue(Keys.BATCH_SIZE, n -> n >= 1);
        int limit = c.intValue(Keys.LIMIT, n -> n >= 0);
        long seed = c.longValue(Keys.SEED, s -> true);
        HadoopStorage storage = new HadoopStorage();
        String out = storage.qualify(c.string(Keys.OUT));
        RunDirectory.checkAbsent(storage, out);
        DatasetWriter.Source src = switch (source) {
            case "fashion-mnist" -> FashionMnist.read(c.has(Keys.SOURCE_PATH) ? Path.of(c.string(Keys.SOURCE_PATH))
                    : FashionMnist.DEBIAN_DIR, seed);
            case "seed-quadrants" -> SeedTasks.quadrants(seed);
            case "cifar10" -> Cifar10.read(Path.of(c.string(Keys.SOURCE_PATH)), seed);
            case "seed-sum" -> SeedTasks.sum(seed);
            case "seq-classify" -> SequenceTasks.classification(seed, true, new SequenceTasks.Sizes(4000, 500, 1000));
            case "seq-random" -> SequenceTasks.classification(seed, false, new SequenceTasks.Sizes(800, 200, 200));
            case "seq-varlen" -> SequenceTasks.variableLength(seed, new SequenceTasks.Sizes(4000, 500, 1000));
            case "sines" -> SequenceTasks.sines(seed, c.intValue(Keys.WINDOW, n -> n >= 2), c.intValue(Keys.HORIZON, n -> n >= 1), 0.1,
                    new SequenceTasks.Sizes(4000, 500, 1000));
            case "csv-series" -> CsvSeries.read(storage, storage.qualify(c.string(Keys.SOURCE_PATH)), c.intValue(Keys.WINDOW, n -> n >= 2),
                    c.intValue(Keys.HORIZON, n -> n >= 1));
            case "seq-reverse" -> DigitReversal.source(seed, 3, 6, new SequenceTasks.Sizes(20000, 1000, 1000));
            case "topics" -> TopicSentences.source(c.intValue(Keys.SEQ_LEN, n -> n >= 4), seed);
            case "kjv" -> corpus(c, "kjv", String.join(" ", Kjv.COMMAND), Kjv.read(), seed);
            case "text" -> {
                if (!c.has(Keys.SOURCE_PATH)) {
                    throw new ConfigException("dataset=text: needs --source-path=<URI of a UTF-8 text file>");
                }
                String path = storage.qualify(c.string(Keys.SOURCE_PATH));
                if (!storage.exists(path)) {
                    throw new ConfigException("source-path=" + path + ": no such file; pass the URI of a UTF-8 text file");
                }
                yield corpus(c, "text", path, new String(storage.readAll(path), StandardCharsets.UTF_8), seed);
            }
            default -> throw new IllegalStateException(source);
        };
        return DatasetWriter.write(storage, out, src.limit(limit), batch, seed);
    }

    /** A corpus as token windows, with its tokenizer trained on it (TokenWindows). */
    static DatasetWriter.Source corpus(Config c, String name, String source, String text, long seed) {
        String kind = c.oneOf(Keys.TOKENIZER, List.of("char", "bpe"));
        Tokenizer tok = kind.equals("char") ? CharTokenizer.train(text)
                : BytePairTokenizer.train(text, c.intValue(Keys.VOCAB_SIZE, n -> n > 256));
        return TokenWindows.source(name, source, text, tok, c.intValue(Keys.SEQ_LEN, n -> n >= 1),
                c.intValue(Keys.HOLDOUT_WINDOWS, n -> n >= 1), seed);
    }

    /** What prepare-data prints: name, splits and fingerprint. */
    static Map<String, Object> summary(Manifest m) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("dataset", m.name());
        s.put("splits", m.splits());
        s.put("batch_size", m.batchSize());
        s.put("fingerprint", m.fingerprint());
        if (m.task() == Task.LANGUAGE_MODEL) {
            s.put("vocab_size", m.numClasses());
            s.put("unigram_val_loss", Double.valueOf(m.attribute("unigram_val_loss")));
            s.put("uniform_loss", Double.valueOf(m.attribute("uniform_loss")));
        }
        return s;
    }

    private PrepareDataJob() {}
}
