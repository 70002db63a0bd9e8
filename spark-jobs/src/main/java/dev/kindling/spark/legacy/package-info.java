/**
 * DL4J's training masters (SharedTrainingMaster's threshold encoding, ParameterAveragingTrainingMaster), reachable by name only, with the per-JVM Aeron ports and the epoch driver they need. Imports dev.kindling.core, config and runtime; never job or allreduce.
 */
package dev.kindling.spark.legacy;
