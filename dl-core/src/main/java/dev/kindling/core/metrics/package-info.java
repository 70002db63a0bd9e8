/**
 * Task metrics (classification, regression, language model, exact match), their evaluation over a
 * graph and batches, and the metrics JSON every command prints. Imports config, data and sequence.
 */
package dev.kindling.core.metrics;
