"""The seed's four trained architectures in PyTorch, at the seed's layer sizes, initialisation and dropout
placement, so parameter counts and FLOPs equal the seed's. Layers are created in the seed's order, so the
same torch seed draws the same initial weights."""
import math

import torch
from torch import nn
from torch.nn import functional as F


class MLP(nn.Module):
    """Seed section 2: a LayerNorm'd hidden layer, then a half-width one."""

    def __init__(self, inputs, hidden, outputs, dropout=0.3):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(inputs, hidden),
            nn.LayerNorm(hidden),  # the seed normalises before the activation
            nn.ReLU(),
            nn.Dropout(dropout),  # only after the first layer, as in the seed
            nn.Linear(hidden, hidden // 2),
            nn.ReLU(),
            nn.Linear(hidden // 2, outputs),
        )

    def forward(self, x):
        return self.layers(x)


def conv_bn_relu(inputs, outputs):
    """The seed's ConvBlock: 3x3 same-size convolution without bias (BatchNorm's shift replaces it)."""
    return nn.Sequential(
        nn.Conv2d(inputs, outputs, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(outputs),
        nn.ReLU(inplace=True),
    )


class SmallCNN(nn.Module):
    """Seed section 3: five conv blocks (32-64, pool, 128-128, pool, 256), global average pooling, and a
    256-128-classes head with dropout 0.4."""

    def __init__(self, classes=10, channels=3):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn_relu(channels, 32),
            conv_bn_relu(32, 64),
            nn.MaxPool2d(2),
            conv_bn_relu(64, 128),
            conv_bn_relu(128, 128),
            nn.MaxPool2d(2),
            conv_bn_relu(128, 256),
            nn.AdaptiveAvgPool2d(1),  # makes the head independent of the image size
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(256, 128),
            nn.ReLU(),
            nn.Dropout(0.4),
            nn.Linear(128, classes),
        )

    def forward(self, x):
        return self.head(self.features(x))


class LSTMClassifier(nn.Module):
    """Seed section 4: a stacked (optionally bidirectional) LSTM read at its last time step, then a
    width-halving MLP head with the same dropout."""

    def __init__(self, inputs, hidden, layers, classes, dropout=0.3, bidirectional=False):
        super().__init__()
        self.lstm = nn.LSTM(inputs, hidden, num_layers=layers, batch_first=True, bidirectional=bidirectional,
                            dropout=dropout if layers > 1 else 0.0)  # torch drops between layers only
        width = hidden * (2 if bidirectional else 1)
        self.head = nn.Sequential(
            nn.Linear(width, width // 2),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(width // 2, classes),
        )

    def forward(self, x):
        states, _ = self.lstm(x)
        # the seed's choice: the output at the last step, for the backward direction its first step
        return self.head(states[:, -1])


class CausalSelfAttention(nn.Module):
    """Seed section 5's attention: one bias-free projection for queries, keys and values, the explicit
    scaled dot product (torch 1.13 has no fused kernel), dropout on the attention weights."""

    def __init__(self, width, heads, dropout):
        super().__init__()
        assert width % heads == 0, "the width must split evenly into heads"
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.proj = nn.Linear(width, width, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        batch, length, width = x.shape
        # (batch, length, width) -> (batch, heads, length, width / heads) for each of q, k, v
        q, k, v = (t.reshape(batch, length, self.heads, -1).transpose(1, 2)
                   for t in self.qkv(x).split(width, dim=2))
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        # built every call, as the seed does, so the measured work is the seed's
        future = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)
        weights = self.dropout(F.softmax(scores.masked_fill(future, float("-inf")), dim=-1))
        return self.proj((weights @ v).transpose(1, 2).reshape(batch, length, width))


class TransformerBlock(nn.Module):
    """Pre-LN block: LayerNorm before attention and before the GELU feed-forward, residual around each."""

    def __init__(self, width, heads, ff_width, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = CausalSelfAttention(width, heads, dropout)
        self.ln2 = nn.LayerNorm(width)
        self.ff = nn.Sequential(
            nn.Linear(width, ff_width),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(ff_width, width),
            nn.Dropout(dropout),
        )

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.ff(self.ln2(x))


class GPT(nn.Module):
    """Seed section 5's language model: token plus learned position embeddings, pre-LN blocks, a final
    LayerNorm and a bias-free head tied to the token embedding. Returns the logits of every position."""

    def __init__(self, vocab, width, heads, layers, ff_width, context, dropout=0.1):
        super().__init__()
        self.tok_embed = nn.Embedding(vocab, width)
        self.pos_embed = nn.Embedding(context, width)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([TransformerBlock(width, heads, ff_width, dropout) for _ in range(layers)])
        self.ln_final = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab, bias=False)
        self.head.weight = self.tok_embed.weight  # tied: one vocab x width matrix, counted once
        self.apply(_gpt2_init)

    def forward(self, tokens):
        positions = torch.arange(tokens.size(1), device=tokens.device)
        x = self.drop(self.tok_embed(tokens) + self.pos_embed(positions))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_final(x))


def _gpt2_init(module):
    """GPT-2's N(0, 0.02) for every Linear and Embedding, zero biases, as the seed initialises."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)


@torch.no_grad()
def generate(model, tokens, new_tokens, window, temperature=1.0, top_k=None):
    """The seed's GPT.generate sampling loop: per new token, the whole context cropped to its last `window`
    tokens through the model (no key/value cache), the last position's logits divided by the temperature,
    everything below the k-th largest set to -inf, softmax, one multinomial draw. The seed crops to its
    block size (512); `window` is that crop, a parameter so both sides of the bench crop alike.
    tokens: (batch, length) ids; returns them followed by `new_tokens` sampled ids per row."""
    for _ in range(new_tokens):
        logits = model(tokens[:, -window:])[:, -1, :] / temperature
        if top_k is not None:
            kth = torch.topk(logits, top_k).values[:, [-1]]
            logits[logits < kth] = float("-inf")
        following = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
        tokens = torch.cat([tokens, following], dim=1)
    return tokens
