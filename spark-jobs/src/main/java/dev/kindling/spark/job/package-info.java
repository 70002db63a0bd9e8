/**
 * The commands spark-submit runs: {@link dev.kindling.spark.job.Kindling} is the one entry point, each job takes its config record, and the training plan and run publishing are their own classes. May import everything; nothing imports it.
 */
package dev.kindling.spark.job;
