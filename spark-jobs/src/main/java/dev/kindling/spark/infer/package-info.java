/**
 * Batch inference on the executors: models loaded once per executor, predictions as rows. May import dev.kindling.core and hdfs.
 */
package dev.kindling.spark.infer;
