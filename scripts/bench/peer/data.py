"""The peer rows' data, from the Debian packages the seed's programs read, and the seed's random-window
batches for the language model."""
import gzip
import os
import subprocess

import numpy as np
import torch

FASHION_DIR = "/usr/share/datasets/fashion-mnist"  # Debian: dataset-fashion-mnist
# the `bible` program (Debian: bible-kjv) decodes bible-kjv-text's compressed data; this prints the whole
# KJV, Genesis 1:1 to Revelation 22:21, one verse per line, exactly as Kindling's prepare-data reads it
KJV_COMMAND = ["bible", "-l100000", "gen1:1-rev22:21"]


def read_idx(path):
    """A gzipped IDX file (the MNIST format): big-endian magic whose low byte is the rank, one 4-byte
    big-endian size per dimension, then unsigned bytes."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    rank = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def fashion_mnist_train():
    """Fashion-MNIST's 60,000 training images (uint8, 60000 x 28 x 28) and labels (int64)."""
    images = read_idx(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    return images, labels


def kjv_text():
    return subprocess.run(KJV_COMMAND, check=True, capture_output=True, text=True).stdout


def char_ids(text):
    """The text as indices into its sorted character set (the seed's character-level vocabulary)."""
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    return torch.tensor([index[c] for c in text], dtype=torch.long), len(vocab)


class RandomWindows:
    """The seed's get_batch as an endless iterable: `batch` windows of `length` tokens at uniformly random
    starts, each paired with the same window shifted one token on (the next-token targets)."""

    def __init__(self, ids, batch, length, generator):
        self.ids, self.batch, self.length, self.generator = ids, batch, length, generator

    def __iter__(self):
        while True:
            starts = torch.randint(len(self.ids) - self.length - 1, (self.batch,), generator=self.generator)
            yield (torch.stack([self.ids[s:s + self.length] for s in starts]),
                   torch.stack([self.ids[s + 1:s + self.length + 1] for s in starts]))
