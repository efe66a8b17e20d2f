"""trainer/tests/conftest.py — makes `toonlora_trainer` and the test helpers importable; keeps torch to
the two cores this suite is sized for."""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
torch.set_num_threads(2)
