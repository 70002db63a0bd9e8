/**
 * The local trainer and its loop (epochs, checkpoints, EMA, progress, step telemetry) and the task metrics. Imports data, io, precision, scratch, sequence and vision; never Spark or Hadoop.
 */
package dev.kindling.core.train;
