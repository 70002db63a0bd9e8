package dev.kindling.spark.job;

import dev.kindling.core.config.Config;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.config.Keys;
import dev.kindling.core.data.Task;
import dev.kindling.core.sequence.GreedyDecoder;
import dev.kindling.core.sequence.TokenLayout;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code kindling generate --model-path=<zip> --prompt=<text>}: runs a saved generative model on one
 * prompt in this JVM and prints the result as JSON. Dispatches on the task of the dataset the model
 * was trained on: seq2seq models decode greedily ({@link GreedyDecoder}).
 */
public final class GenerateJob {

    public static Map<String, Object> run(Config c) throws Exception {
        HadoopStorage storage = new HadoopStorage();
        SavedModel model = SavedModel.read(storage, storage.qualify(c.string(Keys.MODEL_PATH)));
        String prompt = c.string(Keys.PROMPT);
        Task task = model.trained().task();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", model.loaded().architecture().cliName());
        out.put("prompt", prompt);
        if (task == Task.SEQ2SEQ) {
            out.put("output", seq2seq(model, prompt));
            out.put("decoding", "greedy");
            return out;
        }
        throw new ConfigException("model-path=" + c.string(Keys.MODEL_PATH) + ": a " + task.id()
                + " model; generate runs seq2seq models (train one with --model=seq2seq)");
    }

    static String seq2seq(SavedModel model, String prompt) {
        return GreedyDecoder.generate(model.loaded().graph(), TokenLayout.of(model.trained()), prompt);
    }

    private GenerateJob() {}
}
