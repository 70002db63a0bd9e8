/**
 * Kindling's distributed engine: Spark barrier tasks whose replicas stay in lockstep and sum their gradients (dense) or sparse steps (topk) with an all-reduce over Aeron: the trainer, the collective and its wire format. Imports dev.kindling.core, config and runtime; never job or legacy.
 */
package dev.kindling.spark.allreduce;
