/**
 * The benchmark entry point scripts/bench drives (training steps, matmul peaks, all-reduce alone); not a user command. Imports job, allreduce and dev.kindling.core.
 */
package dev.kindling.spark.bench;
