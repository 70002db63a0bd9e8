package dev.kindling.spark.prepare;

import dev.kindling.core.data.ArrayRows;
import dev.kindling.core.data.ShardFile;
import dev.kindling.core.io.Storage;
import dev.kindling.core.text.TokenWindows;
import dev.kindling.core.text.Tokenizer;
import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.Function2;

/**
 * One partition of a corpus, on an executor: its lines tokenized into one stream, cut 90 / 5 / 5 as
 * {@link TokenWindows.Cut} cuts a whole corpus, its whole train minibatches written as shards under the
 * dataset's temporary directory. What it returns is small: the shards' checksums, the train windows
 * left over (fewer than a batch), its val and test windows, and token counts for the unigram baseline.
 */
final class CorpusPart implements Function2<Integer, Iterator<String>, Iterator<CorpusPart.Result>> {
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
    }

    @Override
    public Iterator<Result> call(Integer partition, Iterator<String> lines) throws IOException {
        Tokenizer tok = Tokenizer.parse(tokenizer);
        int[] ids = tokenize(tok, lines);
        int n = ids.length;
        long partSeed = seed * 1_000_003L + partition;
        TokenWindows.Cut cut = TokenWindows.Cut.fits(n, seqLen) ? TokenWindows.Cut.of(n, seqLen, holdout, partSeed)
                : TokenWindows.Cut.trainOnly(n, seqLen, partSeed);
        Result r = new Result();
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

    /** The partition's lines as one token stream, each line followed by a line break. */
    static int[] tokenize(Tokenizer tok, Iterator<String> lines) {
        int[] newline = tok.encode("\n");
        int[] ids = new int[1 << 16];
        int n = 0;
        while (lines.hasNext()) {
            int[] line = tok.encode(lines.next());
            if (n + line.length + newline.length > ids.length) {
                ids = Arrays.copyOf(ids, Math.max(ids.length * 2, n + line.length + newline.length));
            }
            System.arraycopy(line, 0, ids, n, line.length);
            n += line.length;
            System.arraycopy(newline, 0, ids, n, newline.length);
            n += newline.length;
        }
        return Arrays.copyOf(ids, n);
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
