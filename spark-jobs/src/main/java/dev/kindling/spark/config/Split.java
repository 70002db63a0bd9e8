package dev.kindling.spark.config;

import dev.kindling.core.config.Choice;
import dev.kindling.core.config.Setting;

/** A dataset split. */
public enum Split implements Choice {
    TRAIN, VAL, TEST;

    public static final Setting<Split> SPLIT = Setting.choice("split", TEST, Split.class, "evaluate, infer: dataset split to use");
}
