"""``python -m release.cli`` runs the ``lendops`` command (handy where the console script
is not on PATH)."""

from __future__ import annotations

from release.cli import main

if __name__ == "__main__":
    main()
