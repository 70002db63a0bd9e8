/**
 * Configuration: typed keys ({@link dev.kindling.core.config.Setting}, each with its range and doc), the one loader that layers defaults, presets, a file and flags, and the resolved settings records are built from. Imports nothing of Kindling; every other package may import it.
 */
package dev.kindling.core.config;
