package dev.kindling.spark.job;

import dev.kindling.core.data.Manifest;
import dev.kindling.core.text.Sampler;
import dev.kindling.core.text.TokenWindows;
import dev.kindling.core.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * What a trained language model writes, for {@code metrics.json} and the run's report: a few samples from
 * a new line, seeded from the run's seed so the same run gives the same text ({@code generate} with
 * {@code --seed=<seed + i>} and these settings reproduces each).
 */
final class TrainedSamples {
    static final int COUNT = 2;
    static final int NEW_TOKENS = 80;
    static final double TEMPERATURE = 0.8;

    /** The samples, or none when the dataset carries no tokenizer. */
    static List<Map<String, Object>> of(ComputationGraph net, Manifest m, long seed) {
        String spec = m.attributes().get(TokenWindows.TOKENIZER);
        if (spec == null) {
            return List.of();
        }
        Tokenizer tok = Tokenizer.parse(spec);
        int[] prompt = tok.encode("\n");
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < COUNT; i++) {
            int[] ids = Sampler.generate(net, prompt, NEW_TOKENS, m.featureShape()[0], TEMPERATURE, 0, seed + i);
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("seed", seed + i);
            s.put("temperature", TEMPERATURE);
            s.put("new_tokens", NEW_TOKENS);
            s.put("text", tok.decode(Arrays.copyOfRange(ids, prompt.length, ids.length)));
            out.add(s);
        }
        return out;
    }

    private TrainedSamples() {}
}
