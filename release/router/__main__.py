from __future__ import annotations

from .cli import router

if __name__ == "__main__":
    router(prog_name="lendops router")
