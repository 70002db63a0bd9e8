/**
 * Optimizers (AdamW, Lion, Muon, momentum), their DL4J adapters, accumulation, clipping,
 * {@link dev.kindling.core.optim.OptimConfig}, and {@link dev.kindling.core.optim.NetDefaults} (everything
 * about a network that is not its topology). Imports config and schedule; never model.
 */
package dev.kindling.core.optim;
