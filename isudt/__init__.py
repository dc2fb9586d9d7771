"""isudt: image sonification as unsupervised domain transfer, as a daemon.

The code lives in the top-level folders `daemon/` (torch-free runtime),
`models/` (training and export, torch) and `exported/` (the trained bundle);
pyproject maps them to `isudt.daemon`, `isudt.models` and `isudt.exported`.
"""

__version__ = "0.1.0"
