"""tools.new_mod writes a mod whose own tests pass as generated, and that a server loads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine.mods import load_mod
from tools.new_mod import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_skeletons_tests_pass_as_generated(tmp_path):
    assert main(["bounty_hunt", "--dir", str(tmp_path)]) == 0
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "SDL_VIDEODRIVER": "dummy",
        "SDL_AUDIODRIVER": "dummy",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "bounty_hunt"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_the_skeleton_loads_as_a_mod(tmp_path, monkeypatch):
    main(["skeleton_mod", "--dir", str(tmp_path)])
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = load_mod("skeleton_mod")
    assert mod.ident == "skeleton_mod@0.1"
    assert mod.make_plugin().name == "skeleton_mod"


def test_a_name_that_is_not_an_identifier_or_taken_is_refused(tmp_path, capsys):
    assert main(["no-dashes", "--dir", str(tmp_path)]) == 2
    assert "identifier" in capsys.readouterr().err
    assert main(["twice", "--dir", str(tmp_path)]) == 0
    assert main(["twice", "--dir", str(tmp_path)]) == 2
