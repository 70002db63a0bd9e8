/**
 * Mixed precision: half-precision layer wrappers, dynamic loss scaling, skipping non-finite steps. Imports optim (the updater wrappers) and layer (the transformer layers take half-precision matmul operands themselves).
 */
package dev.kindling.core.precision;
