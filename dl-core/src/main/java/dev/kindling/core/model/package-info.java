/**
 * Architectures, one class each, the registry enum and its topology record {@link dev.kindling.core.model.ModelConfig}, network defaults, saving and loading. Imports config, data, io, layer, loss, optim, schedule, sequence.
 */
package dev.kindling.core.model;
