package dev.kindling.spark.job;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.sequence.GreedyDecoder;
import dev.kindling.core.sequence.TokenLayout;
import dev.kindling.core.text.Sampler;
import dev.kindling.core.text.TokenWindows;
import dev.kindling.core.text.Tokenizer;
import dev.kindling.spark.config.GenerateConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kindling generate --model-path=<model.zip> --prompt=... --max-new-tokens=N --temperature=T
 * --top-k=K --seed=S}: continues a prompt with a saved model, in this JVM (no Spark). What it does
 * depends on the task the model was trained for: a language model samples ({@link Sampler}) and
 * decodes with the tokenizer saved in its model.zip; a seq2seq model decodes greedily.
 */
public final class GenerateJob {
    private static final Logger LOG = LoggerFactory.getLogger(GenerateJob.class);
    /** The tokenizer a language model was trained with, beside its manifest in model.zip. */
    public static final String TOKENIZER_ENTRY = "kindling/tokenizer.txt";

    public static Map<String, Object> run(GenerateConfig c) throws Exception {
        HadoopStorage storage = new HadoopStorage();
        String path = storage.qualify(c.modelPath());
        SavedModel saved = SavedModel.read(storage, path);
        Manifest m = saved.trained();
        return switch (m.task()) {
            case LANGUAGE_MODEL -> sample(c, path, saved);
            case SEQ2SEQ -> seq2seq(c, path, saved);
            default -> throw new ConfigException("model-path=" + path + ": a " + m.task().id()
                    + " model; generate runs language models (--model=gpt on --dataset=kjv or text) and seq2seq models (--model=seq2seq)");
        };
    }

    static Map<String, Object> sample(GenerateConfig c, String path, SavedModel saved) {
        int maxNew = c.maxNewTokens();
        double temperature = c.temperature();
        int topK = c.topK();
        long seed = c.seed();
        Tokenizer tok = tokenizer(saved);
        String prompt = c.prompt();
        int[] promptIds = tok.encode(prompt.isEmpty() ? "\n" : prompt);
        int seqLen = saved.trained().featureShape()[0];
        long t0 = System.nanoTime();
        int[] ids = Sampler.generate(saved.loaded().graph(), promptIds, maxNew, seqLen, temperature, topK, seed);
        double seconds = (System.nanoTime() - t0) / 1e9;
        String continuation = tok.decode(Arrays.copyOfRange(ids, promptIds.length, ids.length));
        LOG.info("generate: {} tokens in {}s:\n{}{}", maxNew, String.format("%.1f", seconds), prompt, continuation);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model_path", path);
        r.put("prompt", prompt);
        r.put("continuation", continuation);
        r.put("text", prompt + continuation);
        r.put("new_tokens", maxNew);
        r.put("temperature", temperature);
        r.put("top_k", topK);
        r.put("seed", seed);
        r.put("tokens_per_s", seconds > 0 ? maxNew / seconds : null);
        return r;
    }

    /** A seq2seq model decodes the prompt greedily ({@link GreedyDecoder}). */
    static Map<String, Object> seq2seq(GenerateConfig c, String path, SavedModel saved) {
        String prompt = c.prompt();
        if (prompt.isEmpty()) {
            throw new ConfigException("prompt is required for a seq2seq model: the source string; pass --prompt=...");
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model_path", path);
        r.put("prompt", prompt);
        r.put("output", GreedyDecoder.generate(saved.loaded().graph(), TokenLayout.of(saved.trained()), prompt));
        r.put("decoding", "greedy");
        return r;
    }

    /** The model.zip's tokenizer entry, else its manifest's attribute. */
    static Tokenizer tokenizer(SavedModel saved) {
        String text = saved.loaded().text(TOKENIZER_ENTRY);
        return Tokenizer.parse(text != null ? text : saved.trained().attribute(TokenWindows.TOKENIZER));
    }

    /** The entry TrainJob adds to a language model's model.zip (null for datasets without a tokenizer). */
    static byte[] tokenizerEntry(Manifest m) {
        String t = m.attributes().get(TokenWindows.TOKENIZER);
        return t == null ? null : t.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private GenerateJob() {}
}
