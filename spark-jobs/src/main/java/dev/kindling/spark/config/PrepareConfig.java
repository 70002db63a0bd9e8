package dev.kindling.spark.config;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Range;
import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import java.io.Serializable;
import java.util.List;
import java.util.stream.Stream;

/**
 * What {@code prepare-data} takes: a source, where it is, and how it is cut into shards.
 *
 * @param dataset        the source
 * @param out            dataset URI to write
 * @param sourcePath     where the raw files are; null: the source's own default (fashion-mnist: Debian's)
 * @param batchSize      examples per minibatch shard
 * @param limit          examples kept per split; 0 keeps all
 * @param seed           generation and split seed
 * @param window         forecasting: past steps
 * @param horizon        forecasting: future steps
 * @param tokenizer      corpora: char or bpe
 * @param vocabSize      bpe: vocabulary size
 * @param seqLen         corpora and topics: tokens per example
 * @param holdoutWindows corpora: val and test windows, at most
 * @param master         text: the Spark master whose executors read, tokenize and write
 * @param splitMb        text, table, images: bytes of the source per Spark partition, in MB
 * @param tokenizerSampleBytes text, bpe: about this many bytes of the corpus (a seeded sample of lines) train the merges
 * @param tokenizerJson  corpora: a Hugging Face tokenizer.json to tokenize with instead of training one; null: train
 * @param table          table: the format and the columns
 * @param imageSize      images: the side every image is resized to
 * @param skipBadRecords text, table, images: skip records that cannot become examples (counted per reason in the manifest) instead of failing
 * @param textFormat     text files: a document per line or per file
 */
public record PrepareConfig(DataSource dataset, String out, String sourcePath, int batchSize, int limit, long seed, int window, int horizon,
                            TokenizerKind tokenizer, int vocabSize, int seqLen, int holdoutWindows, SparkMaster master, int splitMb,
                            long tokenizerSampleBytes, String tokenizerJson, TableConfig table, int imageSize, boolean skipBadRecords,
                            TextFormat textFormat) implements Serializable {
    public static final Setting<DataSource> DATASET = Setting.choice("dataset", null, DataSource.class,
            "prepare-data source: fashion-mnist | seed-quadrants | seed-sum | cifar10 | seq-classify | seq-random | seq-varlen | sines | csv-series | seq-reverse | kjv (King James Bible, Debian bible-kjv) | text (UTF-8 text at --source-path, read on the executors) | table (Parquet or CSV at --source-path, read on the executors; see --format) | images (an image folder <root>/<class>/*.png|jpg at --source-path, decoded on the executors) | topics (generated 4-topic sentences for encoder-classifier)");
    public static final Setting<String> SOURCE_PATH = Setting.string("source-path", null,
            "where the raw files are (fashion-mnist: the idx .gz directory; cifar10: the directory of data_batch_1..5.bin and test_batch.bin; csv-series: the CSV file URI, series in its last column; text: a file, a directory or a glob of UTF-8 text, any Hadoop URI; table: a Parquet or CSV file, directory or glob; images: the folder whose subfolders are the classes)");
    public static final Setting<Integer> BATCH_SIZE = Setting.integer("batch-size", 64, Range.atLeast(1),
            "examples per minibatch shard, written by prepare-data");
    public static final Setting<Integer> LIMIT = Setting.integer("limit", 0, Range.atLeast(0),
            "prepare-data: keep at most this many examples per split; 0 keeps all");
    public static final Setting<Integer> WINDOW = Setting.integer("window", 50, Range.atLeast(2),
            "prepare-data sines, csv-series: past steps a forecaster sees");
    public static final Setting<Integer> HORIZON = Setting.integer("horizon", 10, Range.atLeast(1),
            "prepare-data sines, csv-series: future steps a forecaster predicts");
    public static final Setting<TokenizerKind> TOKENIZER = Setting.choice("tokenizer", TokenizerKind.CHAR, TokenizerKind.class,
            "prepare-data (kjv, text): char (one id per character) | bpe (byte-level BPE trained on the corpus)");
    public static final Setting<Integer> VOCAB_SIZE = Setting.integer("vocab-size", 512, Range.above(256),
            "prepare-data --tokenizer=bpe: vocabulary size, 256 bytes + learned merges");
    public static final Setting<Integer> SEQ_LEN = Setting.integer("seq-len", 128, Range.atLeast(1),
            "prepare-data (kjv, text, topics): tokens per example window T (topics: the padded sentence length, >= 4)");
    public static final Setting<Integer> HOLDOUT_WINDOWS = Setting.integer("holdout-windows", 256, Range.atLeast(1),
            "prepare-data (kjv, text): at most this many val and this many test windows");

    public static final Setting<Integer> SPLIT_MB = Setting.integer("split-mb", 16, Range.closed(1, 1024),
            "prepare-data text, table, images: MB of the source per Spark partition (text: an executor holds its tokens, 4 bytes per token)");
    public static final Setting<Long> TOKENIZER_SAMPLE_BYTES = Setting.longInteger("tokenizer-sample-bytes", 8L << 20, Range.atLeast(1),
            "prepare-data text --tokenizer=bpe: about this many bytes of the corpus (a seeded sample of its lines, read on the driver) train the merges");

    public static final Setting<String> TOKENIZER_JSON = Setting.string("tokenizer-json", null,
            "prepare-data (kjv, text): tokenize with this Hugging Face tokenizer.json (byte-level BPE, any Hadoop URI) instead of training --tokenizer");

    public static final Setting<Integer> IMAGE_SIZE = Setting.integer("image-size", 32, Range.closed(8, 1024),
            "prepare-data images: every image is resized to this many pixels square (RGB, normalised with the ImageNet mean and std)");

    public static final Setting<Boolean> SKIP_BAD_RECORDS = Setting.flag("skip-bad-records", false,
            "prepare-data text, table, images: skip what cannot become an example (text: a line, or with --text-format=files a file, that is "
                    + "not UTF-8; table: a row with a missing value or text, a wrong array length, a NaN or infinite feature, or a bad label or split; "
                    + "images: an image that does not decode, "
                    + "a class folder with no image), counted per reason in the manifest; false: the first fails the job, named");

    public static final Setting<TextFormat> TEXT_FORMAT = Setting.choice("text-format", TextFormat.LINES, TextFormat.class,
            "prepare-data text files: lines (each line a document; files read in splits of --split-mb and cut 90/5/5 by position) | files "
                    + "(each file a document, read whole and put in train, val or test whole: 5% val and 5% test, at least one each, drawn from the seed)");

    public static final List<Setting<?>> SETTINGS = Stream.concat(Stream.of(DATASET, RunConfig.OUT, SOURCE_PATH, BATCH_SIZE, LIMIT,
            RunConfig.SEED, WINDOW, HORIZON, TOKENIZER, VOCAB_SIZE, SEQ_LEN, HOLDOUT_WINDOWS, SparkMaster.MASTER, SPLIT_MB, TOKENIZER_SAMPLE_BYTES,
            TOKENIZER_JSON, IMAGE_SIZE, SKIP_BAD_RECORDS, TEXT_FORMAT), TableConfig.SETTINGS.stream()).toList();

    public PrepareConfig {
        if (dataset == DataSource.TOPICS && seqLen < 4) {
            throw new ConfigException("seq-len=" + seqLen + ": dataset=topics needs >= 4 (a sentence and its padding)");
        }
        if (dataset == DataSource.TABLE) {
            table.checkFeatures();
        }
        if (dataset == DataSource.TEXT && table.textColumn() != null && textFormat == TextFormat.FILES) {
            throw new ConfigException("text-format=files: the corpus is the table column " + table.textColumn()
                    + ", one document per row; --text-format is for text files (drop one of the two)");
        }
    }

    public static PrepareConfig from(Settings s) {
        return new PrepareConfig(s.require(DATASET), s.require(RunConfig.OUT), s.get(SOURCE_PATH), s.require(BATCH_SIZE), s.require(LIMIT),
                s.require(RunConfig.SEED), s.require(WINDOW), s.require(HORIZON), s.require(TOKENIZER), s.require(VOCAB_SIZE),
                s.require(SEQ_LEN), s.require(HOLDOUT_WINDOWS), s.require(SparkMaster.MASTER), s.require(SPLIT_MB),
                s.require(TOKENIZER_SAMPLE_BYTES), s.get(TOKENIZER_JSON), TableConfig.from(s), s.require(IMAGE_SIZE), s.require(SKIP_BAD_RECORDS),
                s.require(TEXT_FORMAT));
    }

    /** The same written to another URI (the demo's dataset under its run directory). */
    public PrepareConfig into(String uri) {
        return new PrepareConfig(dataset, uri, sourcePath, batchSize, limit, seed, window, horizon, tokenizer, vocabSize, seqLen, holdoutWindows,
                master, splitMb, tokenizerSampleBytes, tokenizerJson, table, imageSize, skipBadRecords, textFormat);
    }
}
