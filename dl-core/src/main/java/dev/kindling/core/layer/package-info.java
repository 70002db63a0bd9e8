/**
 * Custom DL4J layers and vertices (SameDiff attention and LayerNorm, the batched LSTM, product-statistics batch norm) with the tensor helpers they share. Imports nothing of Kindling.
 */
package dev.kindling.core.layer;
