/**
 * Optimizers (AdamW, Lion, Muon, momentum), their DL4J adapters, accumulation, clipping, and {@link dev.kindling.core.optim.OptimConfig}. May import config and schedule; model only for NetDefaults.
 */
package dev.kindling.core.optim;
