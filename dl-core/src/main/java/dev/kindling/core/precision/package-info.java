/**
 * Mixed precision: half-precision layer wrappers, dynamic loss scaling, skipping non-finite steps. Imports optim (the updater wrappers) only.
 */
package dev.kindling.core.precision;
