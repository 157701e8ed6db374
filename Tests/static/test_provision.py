"""scripts/provision.sh installs per purpose: `make run` gets what running needs and no browser,
nginx, Node.js or Python tools; the targets that use them get them (issue 17)."""
import os
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def would_install(purpose):
    """The packages provision.sh would install on a machine that has none of the tools: a PATH
    holding only the shell and `dirname`, so every `command -v` check fails (the checks of files —
    PostgreSQL's server, Node's ws — still see this machine's)."""
    with tempfile.TemporaryDirectory() as bare:
        for tool in ("bash", "dirname"):
            os.symlink(subprocess.run(["bash", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip(),
                       Path(bare) / tool)
        result = subprocess.run(["bash", str(ROOT / "scripts" / "provision.sh"), purpose], capture_output=True, text=True,
                                env={"PATH": bare, "PROVISION_DRY_RUN": "1"})
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_make_run_installs_what_running_needs_and_no_browser():
    packages = would_install("run")
    assert {"redis-server", "libhiredis-dev", "pkg-config", "util-linux"} <= packages
    assert not packages & {"chromium", "nginx", "nodejs", "node-ws", "python3-venv", "curl"}, packages


def test_each_target_gets_its_tools():
    assert {"nginx", "curl"} <= would_install("cluster") and "chromium" not in would_install("cluster")
    assert "nodejs" in would_install("bench") and "chromium" not in would_install("bench")
    assert "python3-venv" in would_install("chaos") and "chromium" not in would_install("chaos")
    assert {"chromium", "nginx", "nodejs", "python3-venv", "curl"} <= would_install("test")


def test_the_makefile_provisions_each_target_for_its_purpose():
    makefile = (ROOT / "Makefile").read_text()
    for target, purpose in (("test", "test"), ("cluster", "cluster"), ("bench", "bench"), ("chaos", "chaos")):
        recipe = makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
        assert f"scripts/provision.sh {purpose}" in recipe, (target, recipe)
    deps = makefile.split("\ndeps:", 1)[1].split("\n\n", 1)[0]
    assert deps.strip().endswith("scripts/provision.sh"), deps
