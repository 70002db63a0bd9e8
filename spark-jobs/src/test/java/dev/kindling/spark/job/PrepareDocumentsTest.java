package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.data.Task;
import dev.kindling.core.io.LocalStorage;
import dev.kindling.core.text.TokenWindows;
import dev.kindling.core.text.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Documents as units of a corpus: text files read whole ({@code --text-format=files}) and a table's text
 * column ({@code --text-column}) go to train, val or test whole; a text column with a label column is a
 * text classification dataset the encoder classifier trains on.
 */
class PrepareDocumentsTest {
    private static final Pattern MARK = Pattern.compile("(?<= )d(\\d+)(?= )");

    /** Document {@code id}: about {@code chars} of its own word "d<id>", several lines. */
    static String document(int id, int chars) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < chars) {
            for (int w = 0; w < 8; w++) {
                sb.append(" d").append(id);
            }
            sb.append(" \n");
        }
        return sb.toString();
    }

    /** The documents each split's windows come from (a window's whole marks only: its ends may cut one). */
    static Map<String, Set<Integer>> documentsPerSplit(Path dataset) {
        LocalStorage storage = new LocalStorage();
        Manifest m = Shards.manifest(storage, dataset.toString());
        Tokenizer tok = Tokenizer.parse(m.attribute(TokenWindows.TOKENIZER));
        Map<String, Set<Integer>> seen = new HashMap<>();
        for (String split : new String[] {"train", "val", "test"}) {
            Set<Integer> ids = new HashSet<>();
            for (int i = 0; i < m.split(split).shards(); i++) {
                DataSet ds = Shards.load(storage, dataset.resolve(Manifest.shardName(split, i)).toString());
                for (float[] row : ds.getFeatures().toFloatMatrix()) {
                    int[] window = new int[row.length];
                    for (int t = 0; t < row.length; t++) {
                        window[t] = (int) row[t];
                    }
                    Matcher mark = MARK.matcher(tok.decode(window));
                    while (mark.find()) {
                        ids.add(Integer.parseInt(mark.group(1)));
                    }
                }
            }
            seen.put(split, ids);
        }
        return seen;
    }

    static void assertDisjointAndHeldOut(Map<String, Set<Integer>> seen) {
        assertFalse(seen.get("val").isEmpty() || seen.get("test").isEmpty(), "val and test documents: " + seen);
        for (String a : seen.keySet()) {
            for (String b : seen.keySet()) {
                if (a.compareTo(b) < 0) {
                    Set<Integer> both = new HashSet<>(seen.get(a));
                    both.retainAll(seen.get(b));
                    assertTrue(both.isEmpty(), "documents " + both + " give windows to both " + a + " and " + b);
                }
            }
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void filesAreDocumentsThatGoToOneSplitWholeAndABadFileIsNamedOrSkipped(@TempDir Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("corpus"));
        for (int f = 0; f < 60; f++) {
            Files.writeString(src.resolve(String.format("doc-%03d.txt", f)), document(f, 20_000));
        }
        byte[] bad = (document(60, 2_000) + "caf\u00e9 x").getBytes(StandardCharsets.ISO_8859_1); // é as one Latin-1 byte
        Files.write(src.resolve("latin1.txt"), bad);
        String[] args = {"prepare-data", "--dataset=text", "--text-format=files", "--source-path=" + src, "--split-mb=1", "--seq-len=32",
                "--batch-size=16", "--holdout-windows=10000", "--master=local[2]"};

        Cli failed = Cli.run(Cli.concat(args, "--out=" + dir.resolve("bad")));
        assertEquals(1, failed.exit(), failed.err());
        assertTrue(failed.err().contains("latin1.txt: byte " + (bad.length - 3) + " is not UTF-8") && failed.err().contains("--skip-bad-records=true"),
                failed.err());
        assertFalse(Files.exists(dir.resolve("bad")), "nothing published");

        Cli prep = Cli.run(Cli.concat(args, "--out=" + dir.resolve("a"), "--skip-bad-records=true"));
        assertEquals(0, prep.exit(), prep.err());
        Manifest m = Shards.manifest(new LocalStorage(), dir.resolve("a").toString());
        assertEquals("1", m.attribute("bad_records.not-utf8"), "the Latin-1 file left out whole");
        Map<String, Set<Integer>> seen = documentsPerSplit(dir.resolve("a"));
        assertDisjointAndHeldOut(seen);
        Set<Integer> all = new HashSet<>();
        seen.values().forEach(all::addAll);
        assertEquals(60, all.size(), "every good file gives windows, the bad one none: " + seen);
        assertFalse(all.contains(60));
        // 5% of 61 files each (one may be the bad one); a file is about 620 windows of 33: val holds whole files' windows
        assertTrue(seen.get("val").size() >= 2 && seen.get("val").size() <= 3 && seen.get("test").size() >= 2, seen.toString());
        assertTrue(m.split("val").examples() >= 500 * seen.get("val").size(), m.splits() + " from val files " + seen.get("val"));

        Path three = Files.createDirectories(dir.resolve("three"));
        for (int f = 0; f < 3; f++) {
            Files.writeString(three.resolve("doc-" + f + ".txt"), document(f, 8_000));
        }
        Cli small = Cli.run("prepare-data", "--dataset=text", "--text-format=files", "--source-path=" + three, "--seq-len=32", "--batch-size=16",
                "--master=local[2]", "--out=" + dir.resolve("three-data"));
        assertEquals(0, small.exit(), small.err());
        Map<String, Set<Integer>> one = documentsPerSplit(dir.resolve("three-data"));
        assertDisjointAndHeldOut(one);
        one.forEach((split, ids) -> assertEquals(1, ids.size(), "three files: one per split, " + one));
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aTableTextColumnIsACorpusOfRowDocumentsSplitByItsSplitColumn(@TempDir Path dir) throws Exception {
        StringBuilder csv = new StringBuilder("id,body,part\n");
        for (int i = 0; i < 400; i++) {
            String part = i % 10 == 3 ? "val" : i % 10 == 7 ? "test" : "train";
            csv.append(i).append(',').append(i == 42 ? "" : document(i, 300).replace("\n", "")).append(',').append(part).append('\n');
        }
        Files.createDirectories(dir.resolve("table"));
        Files.writeString(dir.resolve("table/docs.csv"), csv);
        String[] args = {"prepare-data", "--dataset=text", "--format=csv", "--source-path=" + dir.resolve("table"), "--text-column=body",
                "--split-column=part", "--seq-len=24", "--batch-size=16", "--holdout-windows=500", "--master=local[2]"};

        Cli failed = Cli.run(Cli.concat(args, "--out=" + dir.resolve("bad")));
        assertEquals(1, failed.exit(), failed.err());
        assertTrue(failed.err().contains("docs.csv, row 43 of Spark partition 0: missing-value: no text"), failed.err());

        Cli prep = Cli.run(Cli.concat(args, "--out=" + dir.resolve("a"), "--skip-bad-records=true"));
        assertEquals(0, prep.exit(), prep.err());
        Manifest m = Shards.manifest(new LocalStorage(), dir.resolve("a").toString());
        assertEquals(Task.LANGUAGE_MODEL, m.task());
        assertEquals("1", m.attribute("bad_records.missing-value"));
        Map<String, Set<Integer>> seen = documentsPerSplit(dir.resolve("a"));
        assertDisjointAndHeldOut(seen);
        seen.get("val").forEach(i -> assertEquals(3, i % 10, "row " + i + " is not a val row"));
        seen.get("test").forEach(i -> assertEquals(7, i % 10, "row " + i + " is not a test row"));

        Cli wrong = Cli.run(Cli.concat(args, "--out=" + dir.resolve("w"), "--text-column=text"));
        assertEquals(2, wrong.exit(), wrong.err());
        assertTrue(wrong.err().contains("text-column=text: no such column") && wrong.err().contains("[id, body, part]"), wrong.err());
        Cli files = Cli.run(Cli.concat(args, "--out=" + dir.resolve("w"), "--text-format=files"));
        assertEquals(2, files.exit(), files.err());
        assertTrue(files.err().contains("text-format=files"), files.err());
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aTextColumnWithALabelColumnIsATextClassificationDatasetTheEncoderLearns(@TempDir Path dir) throws Exception {
        String[][] topicWords = {{"ship", "wave", "fish", "net", "shore"}, {"sword", "shield", "battle", "army", "spear"},
            {"seed", "harvest", "vine", "plough", "barley"}};
        String[] topics = {"sea", "war", "field"};
        String[] filler = {"the", "and", "of", "a", "in", "he", "they", "went", "came", "saw"};
        Random r = new Random(3);
        StringBuilder csv = new StringBuilder("body,topic\n");
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 900; i++) {
            int k = r.nextInt(3);
            int len = 4 + r.nextInt(12);
            StringBuilder body = new StringBuilder();
            for (int w = 0; w < len; w++) {
                body.append(w == 0 ? "" : " ").append(r.nextDouble() < 0.3 ? topicWords[k][r.nextInt(5)] : filler[r.nextInt(filler.length)]);
            }
            bodies.add(body.toString());
            csv.append(body).append(',').append(topics[k]).append('\n');
        }
        Files.createDirectories(dir.resolve("table"));
        Files.writeString(dir.resolve("table/sentences.csv"), csv);
        Cli prep = Cli.run("prepare-data", "--dataset=table", "--format=csv", "--source-path=" + dir.resolve("table"), "--text-column=body",
                "--label-column=topic", "--tokenizer=bpe", "--vocab-size=300", "--seq-len=24", "--batch-size=32", "--master=local[2]",
                "--out=" + dir.resolve("d"));
        assertEquals(0, prep.exit(), prep.err());
        Manifest m = Shards.manifest(new LocalStorage(), dir.resolve("d").toString());
        assertEquals(Task.CLASSIFICATION, m.task());
        assertEquals(List.of("field", "sea", "war"), m.classNames());
        assertEquals(List.of(24), List.of(m.featureShape()[0]));
        Tokenizer tok = Tokenizer.parse(m.attribute("text_tokenizer"));
        assertEquals(tok.vocabSize() + 1, Integer.parseInt(m.attribute("vocab_size")), "ids shifted by one: 0 is padding");
        DataSet first = Shards.load(new LocalStorage(), dir.resolve("d").resolve(Manifest.shardName("train", 0)).toString());
        for (float[] row : first.getFeatures().toFloatMatrix()) {
            List<Integer> ids = new ArrayList<>();
            int t = 0;
            for (; t < row.length && row[t] > 0; t++) {
                ids.add((int) row[t] - 1);
            }
            for (; t < row.length; t++) {
                assertEquals(0f, row[t], "padding only after the text");
            }
            String text = tok.decode(ids.stream().mapToInt(Integer::intValue).toArray());
            assertTrue(bodies.stream().anyMatch(b -> b.startsWith(text)), "an example is a row's text (cut at 24 tokens): " + text);
        }

        Cli train = Cli.run("train", "--model=encoder-classifier", "--dist=local", "--epochs=4", "--width=32", "--layers=1", "--heads=2",
                "--data=" + dir.resolve("d"), "--out=" + dir.resolve("run"));
        assertEquals(0, train.exit(), train.err());
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("run/metrics.json").toFile());
        assertTrue(metrics.get("final").get("accuracy").asDouble() > 0.8, "the encoder learns the rows' topics: " + metrics.get("final"));
    }
}
