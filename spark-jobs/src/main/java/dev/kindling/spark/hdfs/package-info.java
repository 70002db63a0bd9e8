/**
 * Hadoop file-system access for every URI a job reads or writes. May import dev.kindling.core.io.
 */
package dev.kindling.spark.hdfs;
