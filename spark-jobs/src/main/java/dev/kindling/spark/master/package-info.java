/**
 * The distributed engines: Kindling's all-reduce master over Aeron, DL4J's legacy training masters, and the run-time services around them (preflight, watchdog, telemetry). May import dev.kindling.core, config and hdfs; never job.
 */
package dev.kindling.spark.master;
