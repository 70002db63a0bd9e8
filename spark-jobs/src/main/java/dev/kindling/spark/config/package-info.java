/**
 * The config records of each command (train, prepare-data, evaluate, infer, generate, lr-find, doctor, demo) and the enums they choose from; built from {@link dev.kindling.core.config.Settings}, checked when built. May import dev.kindling.core; never the jobs or masters.
 */
package dev.kindling.spark.config;
