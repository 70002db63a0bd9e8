"""The benchmark's rows: one Row per architecture, the only place an architecture is added.

A row names Kindling's side (the registry model, the prepare-data source and the train keys, exactly
what `scripts/kindling train` would get) and PyTorch's side: a function that builds the project's own
PyTorch implementation of the seed's model (peer/models.py) at the same sizes, its training data as the
seed's program feeds it (a DataLoader of the same batch size), its loss and optimizer. Both sides use the
same thread count. torch is imported inside the builders, so the orchestrator (bench.py) needs no torch.

To add an architecture: write `torch_<name>()` returning `TorchSide(...)` below and append a `Row(...)`
to ROWS. `dist=True` also runs it in the distribution rows.
"""
import functools
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Tuple

FASHION_MEAN, FASHION_STD = 0.2860, 0.3530  # prepare-data's normalisation of Fashion-MNIST
FASHION_TRAIN = 55000  # the size of prepare-data's training split (it holds 5,000 images out for validation)


@dataclass
class TorchSide:
    model: object  # torch.nn.Module
    loader: object  # iterable of (x, y) minibatches, re-iterated every epoch
    criterion: object
    optimizer: object
    clip_norm: float


@dataclass
class Row:
    name: str
    model: str  # Kindling registry name (--model)
    dataset: str  # prepare-data --dataset
    train: Dict[str, str]  # train keys, as on the command line without the dashes
    torch: Callable[[], TorchSide]
    what: str  # one line for the table: sizes and batch
    prepare: Dict[str, str] = field(default_factory=dict)
    dist: bool = False  # also a distribution row (--dist local / shared / averaging)
    dist_epochs: Optional[int] = None
    # (warm-up, timed) steps for rows whose steps take seconds: the --quick budget; doubled in full mode
    steps: Optional[Tuple[int, int]] = None
    # PyTorch's side under torch.autocast("cpu", dtype=<this>) (a mixed-precision row), else fp32
    autocast: Optional[str] = None
    # the row this one varies (another batch or precision): the MEMORY section measures it beside it
    base: Optional[str] = None

    def data_name(self):
        """Directory of its prepared dataset: the source, plus the prepare keys when there are any."""
        return self.dataset + "".join(f"-{k}{v}" for k, v in sorted(self.prepare.items()))


def _adamw(model, lr=1e-3, wd=1e-4):
    import torch
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)


def _fashion_train():
    """The normalised training images (N x 28 x 28 float) and labels Kindling's fashion-mnist rows train on."""
    import torch
    from peer.data import fashion_mnist_train
    images, labels = fashion_mnist_train()
    x = (torch.from_numpy(images[:FASHION_TRAIN].copy()).float() / 255.0 - FASHION_MEAN) / FASHION_STD
    return x, torch.from_numpy(labels[:FASHION_TRAIN].copy())


def torch_mlp_seed():
    """Seed section 2 as written: MLP(20, 128, 1), X ~ randn(2000, 20), y = sum(x) > 0, 1600 for
    training in batches of 64 (shuffled), BCEWithLogits, AdamW(1e-3, wd 1e-4), clip 1.0."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset, random_split
    from peer.models import MLP
    torch.manual_seed(42)
    model = MLP(20, 128, 1)
    x = torch.randn(2000, 20)
    y = (x.sum(dim=1) > 0).float().unsqueeze(1)
    train, _, _ = random_split(TensorDataset(x, y), [1600, 200, 200])
    return TorchSide(model, DataLoader(train, batch_size=64, shuffle=True), torch.nn.BCEWithLogitsLoss(),
                     _adamw(model), 1.0)


def torch_mlp_fashion():
    """The seed's MLP on Fashion-MNIST as Kindling's mlp preset trains it: MLP(784, 256, 10),
    55,000 normalised training images in batches of 64 (shuffled), cross-entropy, AdamW, clip 1.0."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    from peer.models import MLP
    torch.manual_seed(42)
    model = MLP(784, 256, 10)
    x, y = _fashion_train()
    return TorchSide(model, DataLoader(TensorDataset(x.reshape(len(x), 784), y), batch_size=64, shuffle=True),
                     torch.nn.CrossEntropyLoss(), _adamw(model), 1.0)


def torch_small_cnn():
    """Seed section 3's SmallCNN(10 classes, 1 channel) on Fashion-MNIST as Kindling's small-cnn trains it:
    the normalised training images in batches of 64 (shuffled), label-smoothed (0.1) cross-entropy,
    AdamW(1e-3, wd 5e-4), clip 1.0 (the seed's recipe without augmentation)."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    from peer.models import SmallCNN
    torch.manual_seed(42)
    model = SmallCNN(classes=10, channels=1)
    x, y = _fashion_train()
    return TorchSide(model, DataLoader(TensorDataset(x.unsqueeze(1), y), batch_size=64, shuffle=True),
                     torch.nn.CrossEntropyLoss(label_smoothing=0.1), _adamw(model, 1e-3, 5e-4), 1.0)


def torch_lstm_classifier():
    """Seed section 4's LSTMClassifier(16, 128, 2 layers, 2 classes, dropout 0.3, bidirectional) on
    Kindling's seq-classify task (50 steps of 16 N(0,1) features, channel 0 shifted by +-0.5 with the
    class), 4,000 sequences in batches of 64 (shuffled), cross-entropy, AdamW(3e-3, wd 1e-4), clip 1.0."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    from peer.models import LSTMClassifier
    torch.manual_seed(42)
    model = LSTMClassifier(16, 128, 2, 2, dropout=0.3, bidirectional=True)
    y = torch.randint(0, 2, (4000,))
    x = torch.randn(4000, 50, 16)
    x[:, :, 0] += (y.float() - 0.5).unsqueeze(1)
    return TorchSide(model, DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True), torch.nn.CrossEntropyLoss(),
                     _adamw(model, 3e-3, 1e-4), 1.0)


def torch_gpt(batch=16):
    """Seed section 5's GPT at the seed's size (width 256, 8 heads, 6 layers, ff width 1024, positions
    512, dropout 0.1, tied head) on the character-level KJV, batches of 16 random 128-character windows
    (the seed's get_batch), cross-entropy over every position, AdamW(3e-4, betas 0.9/0.95, wd 0.1), clip 1.0."""
    import torch
    from peer.data import RandomWindows, char_ids, kjv_text
    from peer.models import GPT
    ids, vocab = char_ids(kjv_text())
    torch.manual_seed(42)
    model = GPT(vocab, width=256, heads=8, layers=6, ff_width=1024, context=512, dropout=0.1)
    windows = RandomWindows(ids, batch=batch, length=128, generator=torch.Generator().manual_seed(42))

    def criterion(logits, targets):  # every position predicts its next character
        return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))

    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
    return TorchSide(model, windows, criterion, opt, 1.0)


_SEED2 = {"lr": "1e-3", "weight-decay": "1e-4", "t-max": "50", "clip-norm": "1.0", "dropout": "0.3"}

ROWS = [
    Row("mlp-seed", "mlp", "seed-sum", dict(_SEED2, hidden="128"), torch_mlp_seed,
        "seed 2: MLP(20,128,1) on its sum task, BCE, batch 64"),
    Row("mlp-fashion", "mlp", "fashion-mnist", dict(_SEED2, hidden="256"), torch_mlp_fashion,
        "MLP(784,256,10) on Fashion-MNIST, batch 64 (mlp preset)", dist=True),
    Row("small-cnn", "small-cnn", "fashion-mnist",
        {"lr": "1e-3", "weight-decay": "5e-4", "clip-norm": "1.0", "dropout": "0.4", "label-smoothing": "0.1"},
        torch_small_cnn, "seed 3: SmallCNN(10, in_ch=1) on Fashion-MNIST 1x28x28, batch 64", steps=(5, 20)),
    Row("lstm-classifier", "lstm-classifier", "seq-classify",
        {"lr": "3e-3", "weight-decay": "1e-4", "clip-norm": "1.0", "dropout": "0.3", "hidden": "128", "layers": "2"},
        torch_lstm_classifier, "seed 4: BiLSTM(16,128,2 layers) on 50x16 sequences, batch 64", steps=(5, 30)),
    Row("gpt", "gpt", "kjv",
        {"width": "256", "heads": "8", "layers": "6", "ff-width": "1024", "context": "512", "dropout": "0.1",
         "optimizer": "adamw", "lr": "3e-4", "beta1": "0.9", "beta2": "0.95", "weight-decay": "0.1", "clip-norm": "1.0"},
        torch_gpt, "seed 5: GPT 256x6 (8 heads, d_ff 1024) on KJV chars, batch 16 x 128 tokens",
        # 16 timed steps: with 8, a C2 compilation burst of ~2 s inside the timed steps moved the ratio by 0.1-0.2
        prepare={"tokenizer": "char", "seq-len": "128", "batch-size": "16", "limit": "320", "holdout-windows": "32"},
        steps=(4, 16)),
]



def with_batch(row, batch, torch_side):
    """The row at another batch size: its dataset prepared with that batch, its PyTorch side built by torch_side."""
    return Row(f"{row.name}-b{batch}", row.model, row.dataset, row.train, torch_side, f"{row.what.split(', batch')[0]}, batch {batch}",
               prepare=dict(row.prepare, **{"batch-size": str(batch)}), steps=row.steps, base=row.name)


def with_precision(row, precision):
    """The row with Kindling's --precision=<precision> (bf16 or fp16). PyTorch's side runs under its CPU autocast for
    bf16; for fp16 it stays fp32: this torch's CPU autocast takes bf16 only."""
    return Row(f"{row.name}-{precision}", row.model, row.dataset, dict(row.train, precision=precision), row.torch,
               f"{row.what}, --precision={precision}", prepare=row.prepare, steps=row.steps,
               autocast="bfloat16" if precision == "bf16" else None, base=row.name)


def _row(name):
    return next(r for r in ROWS if r.name == name)


# the MEMORY section's variants of peer rows: the seed GPT at batch 64 (the peer row is its batch 16), and the
# models whose matrix products Kindling rounds itself in bf16 and fp16
MEMORY_ROWS = [with_batch(_row("gpt"), 64, functools.partial(torch_gpt, 64)),
               *(with_precision(_row(n), p) for n in ("gpt", "lstm-classifier") for p in ("bf16", "fp16"))]


def by_name(name):
    for r in ROWS + MEMORY_ROWS:
        if r.name == name:
            return r
    raise SystemExit(f"bench: unknown row {name!r}; rows: {', '.join(r.name for r in ROWS)}")
