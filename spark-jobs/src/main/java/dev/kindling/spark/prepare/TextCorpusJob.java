package dev.kindling.spark.prepare;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.ShardFile;
import dev.kindling.core.data.Task;
import dev.kindling.core.io.InputException;
import dev.kindling.core.text.BytePairTokenizer;
import dev.kindling.core.text.CharTokenizer;
import dev.kindling.core.text.TokenIds;
import dev.kindling.core.text.TokenWindows;
import dev.kindling.core.text.Tokenizer;
import dev.kindling.core.text.TokenizerJson;
import dev.kindling.spark.config.PrepareConfig;
import dev.kindling.spark.config.TextFormat;
import dev.kindling.spark.config.TokenizerKind;
import dev.kindling.spark.hdfs.HadoopStorage;
import dev.kindling.spark.job.SparkJobs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code prepare-data --dataset=text} as a Spark job, for text files (a document per line or per file,
 * {@code --text-format}) and, through {@link TableJob}, a table's text column (a document per row).
 * The driver expands {@code --source-path}, trains
 * the tokenizer (char: the union of every partition's characters; bpe: on a seeded sample of about
 * {@code --tokenizer-sample-bytes}), and numbers the shards; each executor tokenizes its partition
 * and writes its whole train minibatches ({@link CorpusPart}). Back on the driver: the train windows
 * left over by every partition (fewer than a batch each) are shuffled into the last train shards, the
 * first {@code --holdout-windows} val and test windows become those splits, and the manifest is
 * written; the dataset is published by one rename, as every prepare-data source is.
 */
public final class TextCorpusJob {
    private static final Logger LOG = LoggerFactory.getLogger(TextCorpusJob.class);
    static final long MB = 1L << 20;

    public static Manifest run(PrepareConfig c, HadoopStorage storage, String out) throws IOException {
        TextFiles source = TextFiles.find(storage.qualify(c.sourcePath()));
        try (JavaSparkContext sc = SparkJobs.context(c.master(), "prepare-data")) {
            boolean files = c.textFormat() == TextFormat.FILES;
            JavaRDD<Document> documents = files ? source.wholeFiles(sc, storage, c.splitMb() * MB, c.skipBadRecords(), c.seed())
                    : source.lines(sc, c.splitMb() * MB, c.skipBadRecords());
            LOG.info("prepare-data: {} file(s), {}, {}, in {} partitions of about {} MB", source.files().size(), megabytes(source.bytes()),
                    files ? "a document per file" : "a document per line", documents.getNumPartitions(), c.splitMb());
            return write(c, storage, out, new Corpus(source.uri(), source.bytes(), documents, files
                    ? "the " + source.files().size() + " file(s) give %s 5%% of them (at least one, from 3 files), and those hold fewer than %d "
                    + "tokens in every partition; use more files, or a smaller --seq-len"
                    : "no partition of about " + c.splitMb() + " MB is long enough (20 x %2$d tokens) to spare a %1$s window of %2$d tokens; "
                    + "use a longer corpus, a larger --split-mb or a smaller --seq-len"));
        }
    }

    /**
     * A corpus on its way to the executors.
     *
     * @param uri          the source, for the manifest and messages
     * @param bytes        its size (the fraction sampled for a bpe tokenizer)
     * @param documents    its documents, partitioned
     * @param noHoldoutFix what to say when no val (or test) window comes out: a format of the split and the window's tokens
     */
    record Corpus(String uri, long bytes, JavaRDD<Document> documents, String noHoldoutFix) {}

    /** Tokenizes {@code corpus} on the executors, writes its shards and publishes the dataset at {@code out}. */
    static Manifest write(PrepareConfig c, HadoopStorage storage, String out, Corpus corpus) throws IOException {
        JavaRDD<Document> documents = corpus.documents();
        int partitions = documents.getNumPartitions();
        long t0 = System.nanoTime();
        Tokenizer tok = tokenizer(c, storage, corpus.bytes(), documents);
        LOG.info("prepare-data: {} tokenizer of {} ids in {}", tok.kind(), tok.vocabSize(), seconds(t0));
        String tmp = DatasetWriter.temporarySibling(out);
        try {
            int perPartition = (c.holdoutWindows() + partitions - 1) / partitions;
            CorpusPart part = new CorpusPart(storage, tmp, tok.serialize(), c.seqLen(), perPartition, c.batchSize(), c.seed());
            JavaSparkContext.fromSparkContext(documents.context()).setJobDescription("prepare-data: tokenize and write shards");
            List<CorpusPart.Result> parts = new ArrayList<>(ExecutorErrors.onExecutors(() -> documents.mapPartitionsWithIndex(part, false).collect()));
            parts.sort(Comparator.comparingInt(r -> r.partition));
            LOG.info("prepare-data: executors wrote {} train shards in {}", parts.stream().mapToInt(r -> r.train.size()).sum(), seconds(t0));
            Manifest m = assemble(c, storage, tmp, corpus, tok, parts);
            DatasetWriter.publish(storage, tmp, out, m);
            LOG.info("prepare-data: wrote {} to {} ({} tokens; {}; fingerprint {}) in {}", corpus.uri(), out, m.attribute("tokens"),
                    m.splits().keySet(), m.fingerprint().substring(0, 12), seconds(t0));
            return m;
        } catch (IOException | RuntimeException e) {
            ExecutorErrors.deleteAfterTasksEnd(corpus.documents().context(), storage, tmp);
            throw e;
        }
    }

    private static String megabytes(long bytes) {
        return String.format("%.1f MB", bytes / (double) MB);
    }

    private static String seconds(long since) {
        return String.format("%.1f s", (System.nanoTime() - since) / 1e9);
    }

    /** {@code --tokenizer-json}: a Hugging Face tokenizer.json trained elsewhere. */
    public static Tokenizer imported(String uri, HadoopStorage storage) {
        String path = storage.qualify(uri);
        try {
            if (!storage.exists(path)) {
                throw new ConfigException("tokenizer-json=" + uri + ": no such file; pass a Hugging Face tokenizer.json (any Hadoop URI)");
            }
            return TokenizerJson.read(new String(storage.readAll(path), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new InputException("tokenizer-json=" + uri + ": unreadable (" + e.getMessage() + ")", e);
        } catch (InputException e) {
            throw new InputException("tokenizer-json=" + uri + ": " + e.getMessage(), e);
        }
    }

    /** {@code --tokenizer-json}'s tokenizer, or one trained on {@code documents} ({@link #trained}) on the executors. */
    static Tokenizer tokenizer(PrepareConfig c, HadoopStorage storage, long bytes, JavaRDD<Document> documents) {
        return c.tokenizerJson() != null ? imported(c.tokenizerJson(), storage) : ExecutorErrors.onExecutors(() -> trained(c, bytes, documents));
    }

    /**
     * char: every character of the corpus (a pass over it); bpe: merges learned from a seeded sample of lines
     * (a document's lines are sampled one by one).
     *
     * @param bytes the corpus' size
     */
    static Tokenizer trained(PrepareConfig c, long bytes, JavaRDD<Document> documents) {
        JavaSparkContext.fromSparkContext(documents.context()).setJobDescription("prepare-data: " + c.tokenizer().name().toLowerCase() + " tokenizer");
        JavaRDD<String> lines = documents.filter(d -> d.text != null).flatMap(d -> d.split == null ? List.of(d.text).iterator() : d.text.lines().iterator());
        if (c.tokenizer() == TokenizerKind.CHAR) {
            TreeSet<Integer> alphabet = new TreeSet<>(lines.mapPartitions(TextCorpusJob::distinctCodePoints).distinct().collect());
            alphabet.add((int) '\n');
            StringBuilder sb = new StringBuilder();
            alphabet.forEach(sb::appendCodePoint);
            return CharTokenizer.train(sb.toString());
        }
        double fraction = Math.min(1.0, (double) c.tokenizerSampleBytes() / bytes);
        JavaRDD<String> sample = fraction >= 1.0 ? lines : lines.sample(false, fraction, c.seed());
        String text = String.join("\n", sample.collect()) + "\n";
        LOG.info("prepare-data: bpe tokenizer trained on a sample of {} characters of the {} corpus", text.length(), megabytes(bytes));
        return BytePairTokenizer.train(text, c.vocabSize());
    }

    private static Iterator<Integer> distinctCodePoints(Iterator<String> lines) {
        TreeSet<Integer> seen = new TreeSet<>();
        while (lines.hasNext()) {
            lines.next().codePoints().forEach(seen::add);
        }
        return seen.iterator();
    }

    /**
     * The splits from the partitions' results: their train shards renamed into one numbering, then
     * the leftover windows shuffled into more; val and test from the first windows of each.
     */
    static Manifest assemble(PrepareConfig c, HadoopStorage storage, String tmp, Corpus corpus, Tokenizer tok, List<CorpusPart.Result> parts)
            throws IOException {
        int limit = c.limit() > 0 ? c.limit() : Integer.MAX_VALUE;
        int window = c.seqLen() + 1;
        List<ShardFile> train = new ArrayList<>(SplitNumbering.renumber(storage, tmp, "train", parts.stream().map(r -> r.train).toList(), limit));
        long trainExamples = train.stream().mapToLong(ShardFile::examples).sum();
        int[] rest = TokenIds.concat(parts.stream().map(r -> r.restTrain).toList());
        int[] restWindows = new int[rest.length / window];
        Arrays.setAll(restWindows, i -> i);
        TokenWindows.shuffle(restWindows, c.seed());
        int keep = (int) Math.min(restWindows.length, limit - trainExamples);
        train.addAll(writeWindows(storage, tmp, "train", train.size(), rest, Arrays.copyOf(restWindows, keep), c));
        trainExamples += keep;
        Map<String, Manifest.Split> splits = new LinkedHashMap<>();
        List<ShardFile> all = new ArrayList<>(train);
        splits.put("train", SplitNumbering.split(train));
        for (String holdout : List.of("val", "test")) {
            int[] windows = TokenIds.concat(parts.stream().map(r -> holdout.equals("val") ? r.val : r.test).toList());
            int n = Math.min(windows.length / window, Math.min(c.holdoutWindows(), limit));
            if (n == 0) {
                throw new InputException("source-path=" + corpus.uri() + ": no " + holdout + " window: "
                        + String.format(corpus.noHoldoutFix(), holdout, window));
            }
            int[] first = new int[n];
            Arrays.setAll(first, i -> i);
            List<ShardFile> shards = writeWindows(storage, tmp, holdout, 0, windows, first, c);
            all.addAll(shards);
            splits.put(holdout, SplitNumbering.split(shards));
        }
        if (trainExamples == 0) {
            throw new InputException("source-path=" + corpus.uri() + ": no train window of seq-len+1=" + window + " tokens; use a longer corpus or a smaller --seq-len");
        }
        long tokens = parts.stream().mapToLong(r -> r.tokens).sum();
        long[] trainCounts = new long[tok.vocabSize()];
        long[] valCounts = new long[tok.vocabSize()];
        for (CorpusPart.Result r : parts) {
            Arrays.setAll(trainCounts, v -> trainCounts[v] + r.trainCounts[v]);
            Arrays.setAll(valCounts, v -> valCounts[v] + r.valCounts[v]);
        }
        Map<String, String> attributes = new LinkedHashMap<>(TokenWindows.attributes(tok, c.seqLen(), tokens, trainCounts, valCounts));
        Map<String, Long> bad = SplitAssembly.badRecords(parts.stream().map(r -> r.bad));
        if (!bad.isEmpty()) {
            LOG.warn("prepare-data: {}: left out bad documents {} (--skip-bad-records)", corpus.uri(), bad);
            SplitAssembly.putBadRecords(attributes, bad);
        }
        return new Manifest(Manifest.FORMAT_VERSION, "text", corpus.uri(), Task.LANGUAGE_MODEL, new int[] {c.seqLen()}, new int[] {c.seqLen()},
                tok.vocabSize(), false, c.batchSize(), splits, ShardFile.fingerprint(all), c.seed(), List.of(), false, attributes);
    }

    /** Windows {@code which} of {@code flat} (back-to-back windows of seqLen + 1 tokens) as shards {@code first}, {@code first + 1}, ... */
    private static List<ShardFile> writeWindows(HadoopStorage storage, String tmp, String split, int first, int[] flat, int[] which,
                                                PrepareConfig c) throws IOException {
        int[] starts = new int[which.length];
        Arrays.setAll(starts, i -> which[i] * (c.seqLen() + 1));
        return SplitNumbering.append(storage, tmp, split, first, TokenWindows.rows(flat, starts, c.seqLen()), c.batchSize());
    }

    private TextCorpusJob() {}
}
