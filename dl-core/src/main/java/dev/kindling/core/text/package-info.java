/**
 * Text: tokenizers (char, byte-level BPE), the KJV corpus, token windows, sampling. Imports data and io.
 */
package dev.kindling.core.text;
