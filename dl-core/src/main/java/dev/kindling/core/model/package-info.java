/**
 * Architectures, one class each, the registry enum and its topology record
 * {@link dev.kindling.core.model.ModelConfig}, saving and loading. Imports config, data, io, layer, loss,
 * optim (for NetDefaults), schedule, sequence.
 */
package dev.kindling.core.model;
