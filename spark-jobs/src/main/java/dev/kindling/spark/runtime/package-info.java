/**
 * Services around a distributed run, whichever engine: preflight checks, the hang watchdog, step telemetry and Aeron traffic counters gathered from the executors, evaluation on the executors. Imports dev.kindling.core and config; never job, allreduce or legacy.
 */
package dev.kindling.spark.runtime;
