package dev.kindling.spark.prepare;

import dev.kindling.core.data.ArrayRows;
import dev.kindling.core.data.ShardFile;
import dev.kindling.core.io.Storage;
import dev.kindling.core.text.TokenIds;
import dev.kindling.core.text.TokenWindows;
import dev.kindling.core.text.Tokenizer;
import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.Function2;

/**
 * One partition of a corpus, on an executor: its documents tokenized, each followed by a line break,
 * into token streams. Lines ({@link Document#line}) make one stream, cut 90 / 5 / 5 as
 * {@link TokenWindows.Cut} cuts a whole corpus; documents of a split ({@link Document#inSplit}) make
 * one stream per split, so no document gives windows to two splits. Its whole train minibatches are
 * written as shards under the dataset's temporary directory. What it returns is small: the shards'
 * checksums, the train windows left over (fewer than a batch), its val and test windows, token counts
 * for the unigram baseline, and the documents skipped as bad, per reason.
 */
final class CorpusPart implements Function2<Integer, Iterator<Document>, Iterator<CorpusPart.Result>> {
    private static final long serialVersionUID = 1L;

    private final Storage storage;
    private final String dir;
    private final String tokenizer;
    private final int seqLen;
    private final int holdout;
    private final int batchSize;
    private final long seed;

    /**
     * @param dir       the dataset's temporary directory
     * @param tokenizer the serialized tokenizer
     * @param holdout   val and test windows this partition may give, at most
     */
    CorpusPart(Storage storage, String dir, String tokenizer, int seqLen, int holdout, int batchSize, long seed) {
        this.storage = storage;
        this.dir = dir;
        this.tokenizer = tokenizer;
        this.seqLen = seqLen;
        this.holdout = holdout;
        this.batchSize = batchSize;
        this.seed = seed;
    }

    /** A plain class, not a record: Spark's Kryo serializer cannot build records in task results. */
    static final class Result implements Serializable {
        private static final long serialVersionUID = 1L;
        int partition;
        long tokens;
        WrittenShards train;
        int[] restTrain; // windows of seqLen + 1 tokens, back to back
        int[] val;
        int[] test;
        long[] trainCounts;
        long[] valCounts;
        Map<String, Long> bad = new LinkedHashMap<>(); // reason id -> documents skipped
    }

    @Override
    public Iterator<Result> call(Integer partition, Iterator<Document> documents) throws IOException {
        Tokenizer tok = Tokenizer.parse(tokenizer);
        Result r = new Result();
        Streams streams = tokenize(tok, documents, r.bad);
        int[] ids = streams.ids();
        int n = ids.length;
        long partSeed = seed * 1_000_003L + partition;
        TokenWindows.Cut cut;
        if (streams.bySplit()) {
            cut = TokenWindows.Cut.at(n, streams.trainEnd(), streams.valEnd(), seqLen, holdout, partSeed);
        } else {
            cut = TokenWindows.Cut.fits(n, seqLen) ? TokenWindows.Cut.of(n, seqLen, holdout, partSeed) : TokenWindows.Cut.trainOnly(n, seqLen, partSeed);
        }
        r.partition = partition;
        r.tokens = n;
        int whole = cut.train().length / batchSize;
        r.train = new WrittenShards(ParallelFiles.run(whole, k -> {
            int[] starts = Arrays.copyOfRange(cut.train(), k * batchSize, (k + 1) * batchSize);
            ArrayRows rows = TokenWindows.rows(ids, starts, seqLen);
            return ShardFile.write(storage, SplitNumbering.partitionShard(storage, dir, "train", partition, k), rows.batch(0, rows.size()));
        }));
        r.restTrain = windows(ids, Arrays.copyOfRange(cut.train(), whole * batchSize, cut.train().length));
        r.val = windows(ids, cut.val());
        r.test = windows(ids, cut.test());
        r.trainCounts = TokenWindows.counts(ids, 0, cut.trainEnd(), tok.vocabSize());
        r.valCounts = TokenWindows.counts(ids, cut.trainEnd(), cut.valEnd(), tok.vocabSize());
        return List.of(r).iterator();
    }

    /**
     * A partition's token streams end to end: train, val, test ({@code bySplit}: its documents said their
     * splits), or one stream cut by position (lines).
     */
    record Streams(int[] ids, boolean bySplit, int trainEnd, int valEnd) {}

    /** The partition's documents as token streams, each document followed by a line break; skipped ones counted into {@code bad}. */
    static Streams tokenize(Tokenizer tok, Iterator<Document> documents, Map<String, Long> bad) {
        int[] newline = tok.encode("\n");
        Map<String, TokenBuffer> bySplit = new LinkedHashMap<>();
        SeededSplit.SPLITS.forEach(split -> bySplit.put(split, new TokenBuffer()));
        TokenBuffer lines = new TokenBuffer();
        while (documents.hasNext()) {
            Document d = documents.next();
            if (d.skipped != null) {
                bad.merge(d.skipped.id, 1L, Long::sum);
                continue;
            }
            TokenBuffer into = d.split == null ? lines : bySplit.get(d.split);
            into.add(tok.encode(d.text));
            into.add(newline);
        }
        if (lines.size() > 0) {
            if (bySplit.values().stream().anyMatch(b -> b.size() > 0)) {
                throw new IllegalStateException("a partition mixes lines and documents of a split");
            }
            return new Streams(lines.toArray(), false, 0, 0);
        }
        int trainEnd = bySplit.get("train").size();
        int valEnd = trainEnd + bySplit.get("val").size();
        return new Streams(TokenIds.concat(bySplit.values().stream().map(TokenBuffer::toArray).toList()), true, trainEnd, valEnd);
    }

    /** Token ids appended to a growing array. */
    private static final class TokenBuffer {
        private int[] ids = new int[1 << 12];
        private int size;

        void add(int[] more) {
            if (size + more.length > ids.length) {
                ids = Arrays.copyOf(ids, Math.max(ids.length * 2, size + more.length));
            }
            System.arraycopy(more, 0, ids, size, more.length);
            size += more.length;
        }

        int size() {
            return size;
        }

        int[] toArray() {
            return Arrays.copyOf(ids, size);
        }
    }

    /** The windows of {@code seqLen + 1} tokens at {@code starts}, back to back. */
    private int[] windows(int[] ids, int[] starts) {
        int w = seqLen + 1;
        int[] out = new int[starts.length * w];
        for (int i = 0; i < starts.length; i++) {
            System.arraycopy(ids, starts[i], out, i * w, w);
        }
        return out;
    }
}
