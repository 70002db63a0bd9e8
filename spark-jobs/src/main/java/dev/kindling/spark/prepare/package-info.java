/**
 * Data preparation as a Spark job: the driver plans (expands the source's globs, trains a tokenizer on a
 * sample, numbers the shards) and writes the manifest; executors read, decode, tokenize and write shards.
 */
package dev.kindling.spark.prepare;
