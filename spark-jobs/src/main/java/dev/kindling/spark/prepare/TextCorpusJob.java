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
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code prepare-data --dataset=text} as a Spark job: the driver expands {@code --source-path}, trains
 * the tokenizer (char: the union of every partition's characters; bpe: on a seeded sample of about
 * {@code --tokenizer-sample-bytes}), and numbers the shards; each executor tokenizes its input split
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
            LongAccumulator notUtf8 = c.skipBadRecords() ? sc.sc().longAccumulator(BadRecord.Reason.NOT_UTF8.id) : null;
            JavaRDD<String> lines = source.lines(sc, c.splitMb() * MB, notUtf8);
            int partitions = lines.getNumPartitions();
            LOG.info("prepare-data: {} file(s), {}, in {} partitions of about {} MB", source.files().size(), megabytes(source.bytes()),
                    partitions, c.splitMb());
            long t0 = System.nanoTime();
            Tokenizer tok = c.tokenizerJson() != null ? imported(c.tokenizerJson(), storage)
                    : ExecutorErrors.onExecutors(() -> tokenizer(c, source, lines));
            LOG.info("prepare-data: {} tokenizer of {} ids in {}", tok.kind(), tok.vocabSize(), seconds(t0));
            String tmp = DatasetWriter.temporarySibling(out);
            try {
                int perPartition = (c.holdoutWindows() + partitions - 1) / partitions;
                CorpusPart part = new CorpusPart(storage, tmp, tok.serialize(), c.seqLen(), perPartition, c.batchSize(), c.seed());
                sc.setJobDescription("prepare-data: tokenize and write shards");
                if (notUtf8 != null) {
                    notUtf8.reset(); // the tokenizer's pass counted the same lines: count this pass's
                }
                List<CorpusPart.Result> parts = new ArrayList<>(ExecutorErrors.onExecutors(() -> lines.mapPartitionsWithIndex(part, false).collect()));
                parts.sort(Comparator.comparingInt(r -> r.partition));
                LOG.info("prepare-data: executors wrote {} train shards in {}", parts.stream().mapToInt(r -> r.train.size()).sum(),
                        seconds(t0));
                Manifest m = assemble(c, storage, tmp, source, tok, parts, notUtf8 == null ? 0 : notUtf8.value());
                DatasetWriter.publish(storage, tmp, out, m);
                LOG.info("prepare-data: wrote {} to {} ({} tokens; {}; fingerprint {}) in {}", source.uri(), out, m.attribute("tokens"),
                        m.splits().keySet(), m.fingerprint().substring(0, 12), seconds(t0));
                return m;
            } catch (IOException | RuntimeException e) {
                storage.delete(tmp);
                throw e;
            }
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

    /** char: every character of the corpus (a pass over it); bpe: merges learned from a seeded sample of lines. */
    static Tokenizer tokenizer(PrepareConfig c, TextFiles source, JavaRDD<String> lines) {
        JavaSparkContext.fromSparkContext(lines.context()).setJobDescription("prepare-data: " + c.tokenizer().name().toLowerCase() + " tokenizer");
        if (c.tokenizer() == TokenizerKind.CHAR) {
            TreeSet<Integer> alphabet = new TreeSet<>(lines.mapPartitions(TextCorpusJob::distinctCodePoints).distinct().collect());
            alphabet.add((int) '\n');
            StringBuilder sb = new StringBuilder();
            alphabet.forEach(sb::appendCodePoint);
            return CharTokenizer.train(sb.toString());
        }
        double fraction = Math.min(1.0, (double) c.tokenizerSampleBytes() / source.bytes());
        JavaRDD<String> sample = fraction >= 1.0 ? lines : lines.sample(false, fraction, c.seed());
        String text = String.join("\n", sample.collect()) + "\n";
        LOG.info("prepare-data: bpe tokenizer trained on a sample of {} characters of the {} corpus", text.length(), megabytes(source.bytes()));
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
    static Manifest assemble(PrepareConfig c, HadoopStorage storage, String tmp, TextFiles source, Tokenizer tok,
                             List<CorpusPart.Result> parts, long skippedLines) throws IOException {
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
                throw new InputException("source-path=" + source.uri() + ": no partition of about " + c.splitMb() + " MB holds " + (2 * window)
                        + " tokens for a " + holdout + " window beside its train windows; use a longer corpus, a larger --split-mb or a smaller --seq-len");
            }
            int[] first = new int[n];
            Arrays.setAll(first, i -> i);
            List<ShardFile> shards = writeWindows(storage, tmp, holdout, 0, windows, first, c);
            all.addAll(shards);
            splits.put(holdout, SplitNumbering.split(shards));
        }
        if (trainExamples == 0) {
            throw new InputException("source-path=" + source.uri() + ": no train window of seq-len+1=" + window + " tokens; use a longer corpus or a smaller --seq-len");
        }
        long tokens = parts.stream().mapToLong(r -> r.tokens).sum();
        long[] trainCounts = new long[tok.vocabSize()];
        long[] valCounts = new long[tok.vocabSize()];
        for (CorpusPart.Result r : parts) {
            Arrays.setAll(trainCounts, v -> trainCounts[v] + r.trainCounts[v]);
            Arrays.setAll(valCounts, v -> valCounts[v] + r.valCounts[v]);
        }
        Map<String, String> attributes = new LinkedHashMap<>(TokenWindows.attributes(tok, c.seqLen(), tokens, trainCounts, valCounts));
        if (skippedLines > 0) {
            LOG.warn("prepare-data: {}: left out {} line(s) that are not UTF-8 (--skip-bad-records)", source.uri(), skippedLines);
            attributes.put(SplitAssembly.BAD_RECORDS + "." + BadRecord.Reason.NOT_UTF8.id, Long.toString(skippedLines));
        }
        return new Manifest(Manifest.FORMAT_VERSION, "text", source.uri(), Task.LANGUAGE_MODEL, new int[] {c.seqLen()}, new int[] {c.seqLen()},
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
