"""Benchmarks of divergence: speed and memory figures, printed, never asserted.

Run from the repository root (``make bench`` or ``python -m benchmarks.bench``);
not part of the installed package.
"""
