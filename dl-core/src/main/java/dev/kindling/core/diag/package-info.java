/**
 * Diagnostics before and after training: the doctor checks and the learning-rate range test. Imports train (and through it the model and data types).
 */
package dev.kindling.core.diag;
