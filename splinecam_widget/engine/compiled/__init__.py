"""Compiled (numba) kernels of the CPU backend: one region at a time, without the GIL (see ``cutter.py``)."""
