package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.data.Task;
import dev.kindling.core.io.LocalStorage;
import dev.kindling.core.text.TokenWindows;
import dev.kindling.core.text.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/**
 * prepare-data --dataset=text on Spark's executors (local[2]): a glob of files split into several
 * partitions, every shard full but the last, windows that are the corpus' own text, the same dataset
 * twice for the same seed, and bad input named with nothing published.
 */
class PrepareTextOnExecutorsTest {

    /** About {@code bytes} of generated lines of words, each file different. */
    static String corpus(long seed, int bytes) {
        String[] words = {"the", "seed", "of", "light", "and", "a", "river", "runs", "under", "stone", "café", "naïve"};
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        while (sb.length() < bytes) {
            int n = 3 + r.nextInt(12);
            for (int i = 0; i < n; i++) {
                sb.append(i == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            }
            sb.append(".\n");
        }
        return sb.toString();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aGlobOfFilesBecomesWholeShardsOfTheCorpusOwnWindows(@TempDir Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("corpus"));
        StringBuilder all = new StringBuilder();
        for (int f = 0; f < 3; f++) {
            String text = corpus(f, 600_000);
            Files.writeString(src.resolve("part-" + f + ".txt"), text);
            all.append(text);
        }
        Files.writeString(src.resolve("notes.md"), "not matched by the glob");
        String[] args = {"prepare-data", "--dataset=text", "--source-path=" + src + "/*.txt", "--split-mb=1", "--seq-len=32",
                "--batch-size=64", "--holdout-windows=40", "--master=local[2]"};
        Cli prep = Cli.run(Cli.concat(args, "--out=" + dir.resolve("a")));
        assertEquals(0, prep.exit(), prep.err());

        LocalStorage storage = new LocalStorage();
        Manifest m = Shards.manifest(storage, dir.resolve("a").toString());
        assertEquals(Task.LANGUAGE_MODEL, m.task());
        Tokenizer tok = Tokenizer.parse(m.attribute(TokenWindows.TOKENIZER));
        assertEquals("char", tok.kind());
        long tokens = Long.parseLong(m.attribute("tokens"));
        assertEquals(all.length(), tokens, "every character of the three files is one token (their lines end in \\n)");
        Manifest.Split train = m.split("train");
        assertTrue(train.shards() > 6, "three files, three partitions: several executors' shards, " + train);
        // 90% of the tokens in windows of 32 (sharing one), as one JVM would cut them, give or take a window per partition
        assertTrue(Math.abs(train.examples() - 0.9 * tokens / 32) < 8, train + " of " + tokens + " tokens");
        assertEquals(40, m.split("val").examples());
        assertEquals(40, m.split("test").examples());
        for (String split : new String[] {"train", "val", "test"}) {
            for (int i = 0; i < m.split(split).shards(); i++) {
                DataSet ds = Shards.load(storage, dir.resolve("a").resolve(Manifest.shardName(split, i)).toString());
                boolean last = i == m.split(split).shards() - 1;
                assertTrue(last || ds.numExamples() == 64, split + " shard " + i + " of " + ds.numExamples() + " examples: only the last may be short");
                if (i % 5 == 0) {
                    float[] x = ds.getFeatures().getRow(0).toFloatVector();
                    float[] y = ds.getLabels().getRow(0).toFloatVector();
                    int[] ids = new int[33];
                    for (int t = 0; t < 32; t++) {
                        ids[t] = (int) x[t];
                        assertEquals(t == 31 ? y[t] : x[t + 1], y[t], "labels are the next tokens");
                    }
                    ids[32] = (int) y[31];
                    assertTrue(all.indexOf(tok.decode(ids)) >= 0, "a window is a stretch of the corpus: " + tok.decode(ids));
                }
            }
        }
        Cli again = Cli.run(Cli.concat(args, "--out=" + dir.resolve("b")));
        assertEquals(0, again.exit(), again.err());
        assertEquals(m.fingerprint(), Shards.manifest(storage, dir.resolve("b").toString()).fingerprint(), "the same seed, the same dataset");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void bpeLearnsFromASampleAndEncodesEveryPartition(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("corpus.txt");
        Files.writeString(src, corpus(7, 600_000));
        Cli prep = Cli.run("prepare-data", "--dataset=text", "--source-path=" + src, "--out=" + dir.resolve("d"), "--tokenizer=bpe",
                "--vocab-size=320", "--tokenizer-sample-bytes=50000", "--split-mb=1", "--seq-len=16", "--batch-size=32");
        assertEquals(0, prep.exit(), prep.err());
        Manifest m = Shards.manifest(new LocalStorage(), dir.resolve("d").toString());
        Tokenizer tok = Tokenizer.parse(m.attribute(TokenWindows.TOKENIZER));
        // the generated corpus has few distinct words: merges stop once every word is one token
        assertTrue(tok.vocabSize() > 280 && tok.vocabSize() <= 320, "bytes and merges: " + tok.vocabSize());
        assertEquals(tok.vocabSize(), m.numClasses());
        assertTrue(Long.parseLong(m.attribute("tokens")) < 600_000 / 2, "merges learned from 50 kB compress all of it: " + m.attribute("tokens"));
        assertTrue(Double.parseDouble(m.attribute("unigram_val_loss")) < Double.parseDouble(m.attribute("uniform_loss")));

        // the tokenizer.json written beside the manifest, used to prepare the corpus again: the same shards
        Path json = dir.resolve("d").resolve(DatasetWriter.TOKENIZER_JSON);
        assertTrue(Files.isRegularFile(json), "a bpe dataset carries its tokenizer.json");
        Cli again = Cli.run("prepare-data", "--dataset=text", "--source-path=" + src, "--out=" + dir.resolve("e"), "--tokenizer-json=" + json,
                "--split-mb=1", "--seq-len=16", "--batch-size=32");
        assertEquals(0, again.exit(), again.err());
        Manifest imported = Shards.manifest(new LocalStorage(), dir.resolve("e").toString());
        assertEquals("hf-bpe", Tokenizer.parse(imported.attribute(TokenWindows.TOKENIZER)).kind());
        assertEquals(m.fingerprint(), imported.fingerprint(), "ids from the imported tokenizer.json equal ours");

        // --limit keeps whole executor shards first, then leftovers; the rest is deleted, not published
        Cli limited = Cli.run("prepare-data", "--dataset=text", "--source-path=" + src, "--out=" + dir.resolve("g"), "--tokenizer-json=" + json,
                "--split-mb=1", "--seq-len=16", "--batch-size=32", "--limit=100", "--holdout-windows=40");
        assertEquals(0, limited.exit(), limited.err());
        Manifest small = Shards.manifest(new LocalStorage(), dir.resolve("g").toString());
        assertEquals(100, small.split("train").examples());
        assertEquals(4, small.split("train").shards(), "3 whole shards of 32 and one of 4");
        assertEquals(40, small.split("val").examples());
        try (Stream<Path> train = Files.list(dir.resolve("g").resolve("train"))) {
            assertEquals(4, train.filter(p -> p.getFileName().toString().endsWith(".bin")).count(), "no executor shard left over");
        }

        Cli missing = Cli.run("prepare-data", "--dataset=text", "--source-path=" + src, "--out=" + dir.resolve("f"),
                "--tokenizer-json=" + dir.resolve("nope.json"));
        assertEquals(2, missing.exit(), missing.err());
        assertTrue(missing.err().contains("tokenizer-json=") && missing.err().contains("no such file"), missing.err());
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aNonUtf8LineIsNamedByFileAndOffsetAndNothingIsPublishedOrSkippedAndCounted(@TempDir Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(src.resolve("good.txt"), corpus(1, 20_000));
        byte[] good = "line one\nline two\n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = new byte[good.length + 4];
        System.arraycopy(good, 0, bad, 0, good.length);
        bad[good.length] = 'x';
        bad[good.length + 1] = (byte) 0xC3; // a lead byte without its continuation
        bad[good.length + 2] = '(';
        bad[good.length + 3] = '\n';
        Files.write(src.resolve("latin1.txt"), bad);
        Path out = dir.resolve("data");
        Cli prep = Cli.run("prepare-data", "--dataset=text", "--source-path=" + src, "--out=" + out, "--seq-len=8");
        assertEquals(1, prep.exit(), prep.out() + prep.err());
        assertTrue(prep.err().contains("latin1.txt") && prep.err().contains("byte " + good.length) && prep.err().contains("not UTF-8"), prep.err());
        assertFalse(Files.exists(out), "nothing published");
        try (Stream<Path> left = Files.list(dir)) {
            assertArrayEquals(new String[] {"corpus"}, left.map(p -> p.getFileName().toString()).toArray(), "no temporary dataset left behind");
        }

        Cli skipped = Cli.run("prepare-data", "--dataset=text", "--source-path=" + src, "--out=" + out, "--seq-len=8", "--skip-bad-records=true");
        assertEquals(0, skipped.exit(), skipped.err());
        Manifest m = Shards.manifest(new LocalStorage(), out.toString());
        assertEquals("1", m.attribute("bad_records.not-utf8"), "the one bad line, counted once though two passes read it");
        assertEquals(corpus(1, 20_000).length() + "line one\nline two\n".length(), Long.parseLong(m.attribute("tokens")),
                "every character of the good lines is a token; the bad line is left out whole");
        assertTrue(skipped.lastLine().contains("\"bad_records_skipped\":{\"not-utf8\":1}"), skipped.lastLine());

        Cli none = Cli.run("prepare-data", "--dataset=text", "--source-path=" + src + "/*.csv", "--out=" + dir.resolve("none"));
        assertEquals(2, none.exit(), none.err());
        assertTrue(none.err().contains("matches no file"), none.err());
    }
}
