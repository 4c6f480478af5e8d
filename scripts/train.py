#!/usr/bin/env python3
"""Train the demo sweeps and log them to MLflow. `python scripts/train.py --help` for options."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
