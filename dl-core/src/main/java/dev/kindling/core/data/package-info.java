/**
 * Datasets as pre-batched shards: the manifest, shard writing, decoding and checks, and the built-in sources (Fashion-MNIST, CIFAR-10, the seed tasks). Imports config and io only.
 */
package dev.kindling.core.data;
