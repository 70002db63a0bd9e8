package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.model.ModelStore;
import dev.kindling.core.text.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seed section 5 through the command line on a generated corpus: prepare-data --dataset=text with a
 * BPE tokenizer, train a tiny GPT locally, generate from the saved model.
 */
class GptJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A corpus with structure a tiny model learns in seconds: a few sentences repeated. */
    private static String corpus() {
        String[] lines = {"the lord is my shepherd; i shall not want.\n", "in the beginning god created the heaven and the earth.\n",
            "and god said, let there be light: and there was light.\n"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 40_000; i++) {
            sb.append(lines[(i * 7 + i / 3) % 3]);
        }
        return sb.toString();
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void tinyGptLearnsACorpusAndGeneratesReproducibly(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("corpus.txt");
        Files.writeString(text, corpus());
        String data = dir.resolve("data").toString();
        Cli prep = Cli.run("prepare-data", "--dataset=text", "--source-path=" + text, "--out=" + data, "--tokenizer=bpe",
                "--vocab-size=300", "--seq-len=16", "--holdout-windows=32", "--batch-size=16");
        assertEquals(0, prep.exit(), prep.err());
        JsonNode prepared = JSON.readTree(prep.lastLine());
        assertEquals(300, prepared.get("vocab_size").asInt(), prepared.toString());

        String run = dir.resolve("run").toString();
        Cli train = Cli.run("train", "--model=gpt", "--data=" + data, "--out=" + run, "--dist=local", "--epochs=2",
                "--width=32", "--heads=2", "--layers=1", "--ff-width=64", "--context=32", "--dropout=0.1", "--lr=3e-3",
                "--weight-decay=0.1", "--t-max=2", "--patience=0");
        assertEquals(0, train.exit(), train.err());
        JsonNode metrics = JSON.readTree(Files.readString(Path.of(run, "metrics.json")));
        JsonNode fin = metrics.get("final");
        double unigram = prepared.get("unigram_val_loss").asDouble();
        assertTrue(fin.get("val_loss").asDouble() < 0.5 * unigram, "test loss " + fin + " vs unigram " + unigram);
        assertEquals(Math.exp(fin.get("val_loss").asDouble()), fin.get("perplexity").asDouble(), 1e-6);
        assertEquals(unigram, fin.get("baseline_unigram_loss").asDouble(), 1e-12);

        // --dist=shared: --encoding=auto picks Kindling's all-reduce for the GPT (two replicas, half the steps per epoch); over UDP
        // (--host-ipc=false), so that Aeron's counter sees what crossed between the replicas
        String shared = dir.resolve("shared").toString();
        Cli dense = Cli.run("train", "--model=gpt", "--data=" + data, "--out=" + shared, "--dist=shared", "--master=local[2]", "--transport=aeron",
                "--host-ipc=false", "--aeron-port=" + Cli.freeUdpPort(), "--epochs=4", "--width=32", "--heads=2", "--layers=1", "--ff-width=64",
                "--context=32", "--dropout=0.1", "--lr=3e-3", "--weight-decay=0.1", "--t-max=4", "--patience=0", "--timeout-minutes=4");
        assertEquals(0, dense.exit(), dense.err());
        JsonNode dm = JSON.readTree(Files.readString(Path.of(shared, "metrics.json")));
        JsonNode comm = dm.get("comm");
        assertEquals("dense", comm.get("encoding").asText(), comm.toString());
        double offered = comm.get("dense_bytes").asDouble() / comm.get("allreduce_bytes").asDouble();
        assertTrue(offered > 0.8 && offered <= 1.0, "fp32 gradients, message headers and one parameter all-reduce per epoch: " + comm);
        // Aeron's counter also holds what it resends when a receiver falls behind (a loaded machine: 0.26x seen once)
        assertTrue(comm.get("bytes_sent").asDouble() >= 0.95 * comm.get("allreduce_bytes").asDouble(), comm.toString());
        assertTrue(dm.get("final").get("val_loss").asDouble() < 0.5 * unigram, "shared test loss " + dm.get("final"));

        ModelStore.Loaded model = ModelStore.fromBytes(Files.readAllBytes(Path.of(run, "model.zip")), run);
        Tokenizer tok = Tokenizer.parse(model.text(GenerateJob.TOKENIZER_ENTRY));
        assertEquals(300, tok.vocabSize());

        String[] gen = {"generate", "--model-path=" + run + "/model.zip", "--prompt=in the beginning", "--max-new-tokens=12",
            "--temperature=0.8", "--top-k=5", "--seed=7"};
        Cli a = Cli.run(gen);
        Cli b = Cli.run(gen);
        assertEquals(0, a.exit(), a.err());
        JsonNode ga = JSON.readTree(a.lastLine());
        assertEquals(ga.get("text"), JSON.readTree(b.lastLine()).get("text"), "same seed, same text");
        assertTrue(ga.get("text").asText().startsWith("in the beginning"), ga.toString());
        assertTrue(ga.get("continuation").asText().length() > 0, ga.toString());
        assertTrue(corpus().contains(ga.get("text").asText().substring(0, 25)), "a learned continuation: " + ga);

        // the run's own samples, in metrics.json and its report, are what generate gives with the same settings
        JsonNode samples = metrics.get("samples");
        assertEquals(TrainedSamples.COUNT, samples.size(), metrics.toString());
        JsonNode first = samples.get(0);
        Cli again = Cli.run("generate", "--model-path=" + run + "/model.zip", "--max-new-tokens=" + TrainedSamples.NEW_TOKENS,
                "--temperature=" + TrainedSamples.TEMPERATURE, "--seed=" + first.get("seed").asLong());
        assertEquals(0, again.exit(), again.err());
        assertEquals(first.get("text").asText(), JSON.readTree(again.lastLine()).get("continuation").asText());
        assertTrue(Files.readString(Path.of(run, "report.html")).contains("<h2>Generated samples</h2>"), "the report shows them");
    }
}
