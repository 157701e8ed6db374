"""Static checks: the repository's own files, read or run without PostgreSQL, Redis or a node —
SQL hygiene in the sources, the deployment files, what each make target provisions. `make test` runs
them right after the build, before the slower suites."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("PARLEY_BINARY", ROOT / ".build" / "debug" / "parley"))
