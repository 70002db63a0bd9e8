package dev.kindling.spark.config;

import dev.kindling.core.config.Range;
import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import java.io.Serializable;
import java.util.List;

/**
 * What {@code generate} takes.
 *
 * @param modelPath    model.zip URI
 * @param prompt       the input text
 * @param maxNewTokens tokens to sample
 * @param temperature  logits divisor
 * @param topK         sample among the k most likely; 0: all
 * @param seed         sampling seed
 */
public record GenerateConfig(String modelPath, String prompt, int maxNewTokens, double temperature, int topK, long seed)
        implements Serializable {
    public static final Setting<String> PROMPT = Setting.string("prompt", "",
            "generate: the input text; gpt: the text the sampled continuation starts from (may be empty); seq2seq: the source string, e.g. digits to reverse");
    public static final Setting<Integer> MAX_NEW_TOKENS = Setting.integer("max-new-tokens", 200, Range.atLeast(0), "generate: tokens to sample");
    public static final Setting<Double> TEMPERATURE = Setting.real("temperature", "1.0", Range.above(0),
            "generate: logits are divided by this before sampling");
    public static final Setting<Integer> TOP_K = Setting.integer("top-k", 0, Range.atLeast(0),
            "generate: sample among the k most likely tokens only; 0: all");

    public static final List<Setting<?>> SETTINGS = List.of(EvaluateConfig.MODEL_PATH, PROMPT, MAX_NEW_TOKENS, TEMPERATURE, TOP_K,
            RunConfig.SEED);

    public static GenerateConfig from(Settings s) {
        String prompt = s.get(PROMPT);
        return new GenerateConfig(s.require(EvaluateConfig.MODEL_PATH), prompt == null ? "" : prompt, s.require(MAX_NEW_TOKENS),
                s.require(TEMPERATURE), s.require(TOP_K), s.require(RunConfig.SEED));
    }
}
