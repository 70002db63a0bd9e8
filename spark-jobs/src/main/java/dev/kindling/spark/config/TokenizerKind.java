package dev.kindling.spark.config;

import dev.kindling.core.config.Choice;

/** {@code prepare-data --tokenizer}: how a corpus becomes token ids. */
public enum TokenizerKind implements Choice {
    /** One id per character. */
    CHAR,
    /** Byte-level BPE trained on the corpus. */
    BPE
}
