"""The benchmark's rows: one Row per architecture, the only place an architecture is added.

A row names Kindling's side (the registry model, the prepare-data source and the train keys, exactly
what `scripts/kindling train` would get) and PyTorch's side: a function that builds the seed's own
model from ../shared/seed/pytorch/ at the same sizes, its training data as the seed's program feeds it
(a DataLoader of the same batch size), its loss and optimizer. Both sides use the same thread count.
The torch import happens inside the builders, so the orchestrator (bench.py) needs no torch.

To add an architecture: write `torch_<name>(seed_dir)` returning `TorchSide(...)` below and append a
`Row(...)` to ROWS. `dist=True` also runs it in the distribution rows.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

FASHION_MEAN, FASHION_STD = 0.2860, 0.3530  # prepare-data's normalisation of Fashion-MNIST


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
    torch: Callable[[str], TorchSide]
    what: str  # one line for the table: sizes and batch
    prepare: Dict[str, str] = field(default_factory=dict)
    dist: bool = False  # also a distribution row (--dist local / shared / averaging)
    dist_epochs: Optional[int] = None


def _seed_module(seed_dir, name):
    import importlib
    import sys
    if seed_dir not in sys.path:
        sys.path.insert(0, seed_dir)
    import common  # noqa: F401  (the seed's scripts import it first: BLAS thread settings)
    return importlib.import_module(name)


def _adamw(model, lr=1e-3, wd=1e-4):
    import torch
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)


def torch_mlp_seed(seed_dir):
    """Seed section 2 as written: MLP(20, 128, 1), X ~ randn(2000, 20), y = sum(x) > 0, 1600 for
    training in batches of 64 (shuffled), BCEWithLogits, AdamW(1e-3, wd 1e-4), clip 1.0."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset, random_split
    seed = _seed_module(seed_dir, "mlp_torch")
    torch.manual_seed(42)
    model = seed.MLP(20, 128, 1)
    x = torch.randn(2000, 20)
    y = (x.sum(dim=1) > 0).float().unsqueeze(1)
    train, _, _ = random_split(TensorDataset(x, y), [1600, 200, 200])
    return TorchSide(model, DataLoader(train, batch_size=64, shuffle=True), torch.nn.BCEWithLogitsLoss(),
                     _adamw(model), 1.0)


def torch_mlp_fashion(seed_dir):
    """The seed's MLP class on Fashion-MNIST as Kindling's mlp preset trains it: MLP(784, 256, 10),
    55,000 normalised training images in batches of 64 (shuffled), cross-entropy, AdamW, clip 1.0."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    seed = _seed_module(seed_dir, "mlp_torch")
    import common
    torch.manual_seed(42)
    model = seed.MLP(784, 256, 10)
    xtr, ytr, _, _ = common.load_fashion_mnist()
    x = (torch.from_numpy(xtr[:55000].reshape(55000, 784).copy()).float() / 255.0 - FASHION_MEAN) / FASHION_STD
    y = torch.from_numpy(ytr[:55000].copy())
    return TorchSide(model, DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True), torch.nn.CrossEntropyLoss(),
                     _adamw(model), 1.0)


_SEED2 = {"lr": "1e-3", "weight-decay": "1e-4", "t-max": "50", "clip-norm": "1.0", "dropout": "0.3"}

ROWS = [
    Row("mlp-seed", "mlp", "seed-sum", dict(_SEED2, hidden="128"), torch_mlp_seed,
        "seed 2: MLP(20,128,1) on its sum task, BCE, batch 64"),
    Row("mlp-fashion", "mlp", "fashion-mnist", dict(_SEED2, hidden="256"), torch_mlp_fashion,
        "MLP(784,256,10) on Fashion-MNIST, batch 64 (mlp preset)", dist=True),
]


def by_name(name):
    for r in ROWS:
        if r.name == name:
            return r
    raise SystemExit(f"bench: unknown row {name!r}; rows: {', '.join(r.name for r in ROWS)}")
