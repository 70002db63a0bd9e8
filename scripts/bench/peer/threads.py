"""Thread settings of the seed's PyTorch programs, for a chosen thread count."""
import os


def pin_threads(n):
    """Pins OpenBLAS/OpenMP and torch's intra-op pool to n threads.

    Call it before anything imports numpy or torch: OpenBLAS and OpenMP read their variables once, when the
    library is loaded, and would otherwise start one thread per core."""
    os.environ["OMP_NUM_THREADS"] = str(n)
    os.environ["OPENBLAS_NUM_THREADS"] = str(n)
    import torch
    torch.set_num_threads(n)
