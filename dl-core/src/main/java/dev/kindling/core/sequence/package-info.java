/**
 * Sequence tasks and layouts: generated series and classification sets, CSV series, token layouts, greedy decoding. Imports config, data and io.
 */
package dev.kindling.core.sequence;
