/**
 * Text: tokenizers (char, byte-level BPE, Hugging Face tokenizer.json import and export), the KJV corpus, token windows, sampling. Imports data and io.
 */
package dev.kindling.core.text;
