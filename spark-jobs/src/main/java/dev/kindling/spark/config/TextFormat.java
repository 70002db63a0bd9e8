package dev.kindling.spark.config;

import dev.kindling.core.config.Choice;

/** {@code prepare-data --dataset=text --text-format}: what one document of a corpus of text files is. */
public enum TextFormat implements Choice {
    /**
     * Every line; the files are one stream of lines, read in input splits of {@code --split-mb} (a file may
     * span several), and each partition's stream is cut 90 / 5 / 5 by position.
     */
    LINES,
    /**
     * Every file, read whole by one task; each file goes to train, val or test whole (5% val and 5% test,
     * at least one each, chosen by a seeded draw from their paths), so no file gives windows to two splits.
     */
    FILES
}
