/**
 * Loss functions DL4J lacks (label-smoothing cross-entropy). Imports nothing of Kindling.
 */
package dev.kindling.core.loss;
