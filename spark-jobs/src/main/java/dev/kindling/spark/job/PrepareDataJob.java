package dev.kindling.spark.job;

import dev.kindling.core.config.ConfigException;
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
import dev.kindling.spark.config.DataSource;
import dev.kindling.spark.config.PrepareConfig;
import dev.kindling.spark.config.TokenizerKind;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.prepare.ImageJob;
import dev.kindling.spark.prepare.SplitAssembly;
import dev.kindling.spark.prepare.TableJob;
import dev.kindling.spark.prepare.TextCorpusJob;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code kindling prepare-data --dataset=<source> --out=<uri>}: reads or generates a source and
 * writes it as minibatch shards plus manifest.json to any Hadoop URI. {@code text}, {@code table} and
 * {@code images} run on Spark's executors ({@link TextCorpusJob}, {@link TableJob}, {@link ImageJob}); the other sources are small enough to read on the driver in one
 * pass, and their write goes straight to the target file system.
 */
public final class PrepareDataJob {

    public static Manifest run(PrepareConfig c) throws Exception {
        long seed = c.seed();
        HadoopStorage storage = new HadoopStorage();
        String out = storage.qualify(c.out());
        RunDirectory.checkAbsent(storage, out);
        if (c.dataset() == DataSource.TEXT) { // read, tokenized and written on the executors
            required(c.sourcePath(), "dataset=text: needs --source-path=<UTF-8 text: a file, a directory or a glob, any Hadoop URI>");
            return c.table().textColumn() != null ? TableJob.textCorpus(c, storage, out) : TextCorpusJob.run(c, storage, out);
        }
        if (c.dataset() == DataSource.TABLE) { // read and written on the executors
            required(c.sourcePath(), "dataset=table: needs --source-path=<a Parquet or CSV file, directory or glob, any Hadoop URI>");
            return TableJob.run(c, storage, out);
        }
        if (c.dataset() == DataSource.IMAGES) { // decoded and written on the executors
            required(c.sourcePath(), "dataset=images: needs --source-path=<an image folder: <root>/<class>/<image>.png|jpg, any Hadoop URI>");
            return ImageJob.run(c, storage, out);
        }
        DatasetWriter.Source src = switch (c.dataset()) {
            case FASHION_MNIST -> FashionMnist.read(c.sourcePath() != null ? Path.of(c.sourcePath()) : FashionMnist.DEBIAN_DIR, seed);
            case SEED_QUADRANTS -> SeedTasks.quadrants(seed);
            case CIFAR10 -> Cifar10.read(Path.of(required(c.sourcePath(), "dataset=cifar10: needs --source-path=<directory of data_batch_1..5.bin and test_batch.bin>")), seed);
            case SEED_SUM -> SeedTasks.sum(seed);
            case SEQ_CLASSIFY -> SequenceTasks.classification(seed, true, new SequenceTasks.Sizes(4000, 500, 1000));
            case SEQ_RANDOM -> SequenceTasks.classification(seed, false, new SequenceTasks.Sizes(800, 200, 200));
            case SEQ_VARLEN -> SequenceTasks.variableLength(seed, new SequenceTasks.Sizes(4000, 500, 1000));
            case SINES -> SequenceTasks.sines(seed, c.window(), c.horizon(), 0.1, new SequenceTasks.Sizes(4000, 500, 1000));
            case CSV_SERIES -> CsvSeries.read(storage, storage.qualify(required(c.sourcePath(), "dataset=csv-series: needs --source-path=<URI of the CSV file>")),
                    c.window(), c.horizon());
            case SEQ_REVERSE -> DigitReversal.source(seed, 3, 6, new SequenceTasks.Sizes(20000, 1000, 1000));
            case TOPICS -> TopicSentences.source(c.seqLen(), seed);
            case KJV -> corpus(c, storage, "kjv", String.join(" ", Kjv.COMMAND), Kjv.read(), seed);
            case TEXT, TABLE, IMAGES -> throw new IllegalStateException("dataset=" + c.dataset().cliName() + " is prepared on the executors, above");
        };
        return DatasetWriter.write(storage, out, src.limit(c.limit()), c.batchSize(), seed);
    }

    private static String required(String value, String message) {
        if (value == null || value.isEmpty()) {
            throw new ConfigException(message);
        }
        return value;
    }

    /** A corpus as token windows, with its tokenizer trained on it (TokenWindows). */
    static DatasetWriter.Source corpus(PrepareConfig c, HadoopStorage storage, String name, String source, String text, long seed) {
        Tokenizer tok = c.tokenizerJson() != null ? TextCorpusJob.imported(c.tokenizerJson(), storage)
                : c.tokenizer() == TokenizerKind.CHAR ? CharTokenizer.train(text) : BytePairTokenizer.train(text, c.vocabSize());
        return TokenWindows.source(name, source, text, tok, c.seqLen(), c.holdoutWindows(), seed);
    }

    private static final String BAD_RECORDS = SplitAssembly.BAD_RECORDS + ".";

    /** What prepare-data prints: name, splits, classes, bad records skipped and fingerprint. */
    static Map<String, Object> summary(Manifest m) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("dataset", m.name());
        s.put("splits", m.splits());
        s.put("batch_size", m.batchSize());
        s.put("fingerprint", m.fingerprint());
        if (m.task() == Task.CLASSIFICATION) {
            s.put("classes", m.classNames());
        }
        Map<String, Long> bad = new java.util.TreeMap<>();
        m.attributes().forEach((k, v) -> {
            if (k.startsWith(BAD_RECORDS)) {
                bad.put(k.substring(BAD_RECORDS.length()), Long.valueOf(v));
            }
        });
        if (!bad.isEmpty()) {
            s.put("bad_records_skipped", bad);
        }
        if (m.task() == Task.LANGUAGE_MODEL) {
            s.put("vocab_size", m.numClasses());
            s.put("unigram_val_loss", Double.valueOf(m.attribute("unigram_val_loss")));
            s.put("uniform_loss", Double.valueOf(m.attribute("uniform_loss")));
        }
        return s;
    }

    private PrepareDataJob() {}
}
