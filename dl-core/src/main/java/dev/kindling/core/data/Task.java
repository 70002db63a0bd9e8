package dev.kindling.core.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.kindling.core.config.ConfigException;
import java.util.Arrays;

/**
 * What a dataset's labels mean, and so which loss and metrics fit it. Written into every manifest;
 * the {@code final} block of metrics.json carries the task's keys (DESIGN.md).
 */
public enum Task {
    /** Labels one-hot {@code [C]} (or one 0/1 column for a binary head); loss, accuracy. */
    CLASSIFICATION("classification"),
    /** Real-valued targets {@code [d]}; mse, mae, rmse and, for a forecaster, baseline_rmse. */
    REGRESSION("regression"),
    /** Next-token targets {@code [V, T]} per example; val_loss, perplexity. */
    LANGUAGE_MODEL("language-model"),
    /** Output token sequences decoded and compared whole; exact_match. */
    SEQ2SEQ("seq2seq");

    private final String id;

    Task(String id) {
        this.id = id;
    }

    @JsonValue
    public String id() {
        return id;
    }

    @JsonCreator
    public static Task of(String id) {
        return Arrays.stream(values()).filter(t -> t.id.equals(id)).findFirst()
                .orElseThrow(() -> new ConfigException("task=" + id + ": unknown; valid: "
                        + Arrays.stream(values()).map(Task::id).toList()));
    }
}
