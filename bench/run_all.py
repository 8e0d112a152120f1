"""Run the analyze and accuracy benchmarks and print their figures (``make bench``).

Figures and the commands that reproduce them are in docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import accuracy
import analyze_bench


def main() -> int:
    codes = [analyze_bench.main([]), accuracy.main([])]
    return max(codes)


if __name__ == "__main__":
    raise SystemExit(main())
