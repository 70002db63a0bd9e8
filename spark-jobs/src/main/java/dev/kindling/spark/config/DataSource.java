package dev.kindling.spark.config;

import dev.kindling.core.config.Choice;

/** {@code prepare-data --dataset}: the sources a dataset is prepared from. */
public enum DataSource implements Choice {
    FASHION_MNIST, SEED_QUADRANTS, SEED_SUM, CIFAR10, SEQ_CLASSIFY, SEQ_RANDOM, SEQ_VARLEN, SINES, CSV_SERIES, SEQ_REVERSE,
    /** The King James Bible from Debian's bible-kjv. */
    KJV,
    /** A UTF-8 text file at {@code --source-path}. */
    TEXT,
    /** A Parquet or CSV table at {@code --source-path}: features, a class label and optionally a split per row. */
    TABLE,
    /** An image folder {@code <root>/<class>/*.png|jpg} at {@code --source-path}. */
    IMAGES,
    /** Generated 4-topic sentences for the encoder classifier. */
    TOPICS
}
