"""The benchmark's PyTorch peer: the project's own PyTorch implementations of the seed's architectures,
data feeding and thread settings (the seed's programs are the specification; nothing here imports them).

Import threads.pin_threads before torch or numpy is imported: the BLAS pools are sized when they load.
"""
