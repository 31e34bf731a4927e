"""Issue 16: runs that never mix. Each run reads and publishes its own processed set.

The fixture notebooks make mixing visible: ``01_a`` writes ``a.txt`` = its parameter ``n``,
``05_slow`` waits, ``02_b`` reads ``a.txt`` back (metric ``a_value``) and writes the stable
export ``target_list.csv``. Two runs on one data root with different ``n`` each must read
their own ``n``; a killed run must leave the published set, the export and ``latest`` as the
last good run left them. The real notebooks are checked once: two runs with different snapshots
at the same time give the run.json figures of the same runs made alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm_analysis.config import PROJECT_ROOT
from crm_analysis.reports import processed_sets as sets
from crm_analysis.reports import run_reports
from crm_analysis.reports.prune import prune
from crm_analysis.synthetic.presets import write_preset

FIXTURES = Path(__file__).parent / "notebooks_fixture"
AB, A_SLOW_B = "01_a,02_b", "01_a,05_slow,02_b"

pytestmark = pytest.mark.slow


def _root(path: Path) -> Path:
    (path / "raw").mkdir(parents=True)
    (path / "raw" / "orders.csv").write_text("customer_id,order_date,amount\nc1,2025-01-02,10\n",
                                             encoding="utf-8")
    return path


def _start(data: Path, reports: Path, run_id: str, n: int, *, slow: float | None = None,
           kill_at: str | None = None) -> subprocess.Popen:
    """A fixture run in a subprocess (05_slow, waiting ``slow`` seconds, only if given)."""
    env = {**os.environ, "CRM_TEST_KILL_AT": kill_at or ""}
    return subprocess.Popen(
        [sys.executable, "-m", "crm_analysis.cli", "-q", "report", "--notebooks-dir",
         str(FIXTURES), "--notebooks", AB if slow is None else A_SLOW_B, "--data-dir",
         str(data), "--reports-dir", str(reports), "--run-id", run_id, "-p", f"n={n}",
         *(["-p", f"seconds={slow}"] if slow is not None else [])],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=300)
    return proc.returncode, out


def _state(data: Path, reports: Path) -> dict:
    """What a reader sees: the published set, its export, and latest."""
    processed = data / "processed"
    return {"current": os.readlink(processed / "current"),
            "export": (processed / "target_list.csv").read_text(),
            "a": (processed / "current" / "a.txt").read_text(),
            "latest": os.readlink(reports / "latest")}


def test_two_runs_at_once_each_read_their_own_tables(tmp_path):
    data, reports = _root(tmp_path / "data"), tmp_path / "reports"
    # with one shared processed/ folder, the later run's a.txt reaches the earlier run's 02_b
    first = _start(data, reports, "three", 3, slow=4.0)
    time.sleep(1.0)
    second = _start(data, reports, "seven", 7)
    for proc in (first, second):
        code, out = _finish(proc)
        assert code == 0, out
    for run_id, n in (("three", 3), ("seven", 7)):
        manifest = json.loads((reports / run_id / "run.json").read_text())
        b = next(nb for nb in manifest["notebooks"] if nb["name"] == "02_b")
        assert b["metrics"]["a_value"]["value"] == n, run_id
        assert Path(manifest["processed_dir"]).name.startswith(f"{run_id}.")
    # the last to finish is published, and its export is at the stable path
    state = _state(data, reports)
    assert state["latest"] == "three" and state["current"].startswith("runs/three.")
    assert state["export"] == "customer_id\nc3\n" and state["a"] == "3"


def test_a_killed_run_changes_nothing_a_reader_sees(tmp_path):
    """SIGKILL inside a notebook, between notebooks, after the set is finished and just before
    it is published: each time the published set, its export and latest stay the good run's."""
    data, reports = _root(tmp_path / "data"), tmp_path / "reports"
    code, out = _finish(_start(data, reports, "good", 3))
    assert code == 0, out
    before = _state(data, reports)
    for point in ("in-a-notebook", "after-01_a", "finished", "before-publish"):
        run_id = f"killed-{point}"
        if point == "in-a-notebook":  # from outside, while 05_slow sleeps in its kernel
            proc = _start(data, reports, run_id, 7, slow=60)
            deadline = time.monotonic() + 60
            while not list((data / "processed" / "runs").glob(f"{run_id}.*/a.txt")):
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.2)
            time.sleep(1.0)
            proc.kill()
            proc.wait(timeout=30)
        else:
            code, out = _finish(_start(data, reports, run_id, 7, kill_at=point))
            assert code == -9, out
        assert _state(data, reports) == before, point
        marked = point in ("finished", "before-publish")  # complete, but never published
        left = [s.status for s in sets.list_sets(data) if s.run_id == run_id]
        assert left == (["ok"] if marked else [None]), point
        # the report folder is renamed into place just before publishing
        assert (reports / run_id).exists() == (point == "before-publish"), point
    # each run removes what the killed ones before it left half-done: the last one (its report
    # was written) says it removed the set and the report folder of the "finished" kill
    log = (reports / "killed-before-publish" / "run.log").read_text()
    assert "leftovers of a run that was killed: " in log and ".tmp-killed-finished." in log, log
    code, out = _finish(_start(data, reports, "next", 5))
    assert code == 0, out
    assert not [s for s in sets.list_sets(data) if s.status is None]
    assert not [p for p in reports.iterdir() if p.name.startswith(".tmp-")]
    after = _state(data, reports)
    assert after["latest"] == "next" and after["a"] == "5"
    assert after["export"] == "customer_id\nc5\n"


def test_sets_publish_atomically_and_prune_keeps_the_current_one(tmp_path):
    root = tmp_path / "data"
    made = []
    for i in range(4):
        pset, _ = sets.new_set(root, f"r{i}")
        (pset.path / "target_list.csv").write_text(f"r{i}\n")
        pset.finish("ok" if i != 2 else "failed")
        if i != 2:
            sets.publish(pset)
        pset.close()
        made.append(pset.path)
        time.sleep(1.1)  # markers are stamped to the second
    assert sets.current_run_id(root) == "r3"
    assert (root / "processed" / "target_list.csv").read_text() == "r3\n"
    assert (root / "processed" / "target_list.csv").is_symlink()
    live, _ = sets.new_set(root, "live")  # unfinished and locked: never touched
    assert live.path in [s.path for s in sets.list_sets(root)]
    removed = sets.prune_sets(root, keep=1)
    assert sorted(removed) == sorted(made[:3])
    assert live.path.is_dir() and made[3].is_dir()
    live.close()  # the run died without a marker: the next set's creation removes it
    sets.new_set(root, "after")[0].close()
    assert not live.path.exists()
    with pytest.raises(ValueError, match="keep"):
        sets.prune_sets(root, keep=0)


def test_prune_command_keeps_the_newest_runs_and_latest(tmp_path):
    data, reports = _root(tmp_path / "data"), tmp_path / "reports"
    for run_id in ("a", "b", "c"):
        result = run_reports(FIXTURES, data, reports, run_id=run_id, notebooks=["01_a"],
                             keep=2)
        assert result.exit_code == 0
    assert sorted(p.name for p in reports.iterdir() if not p.name.startswith(".")) == [
        "b", "c", "latest"]
    assert sorted(s.run_id for s in sets.list_sets(data)) == ["b", "c"]
    assert prune(reports, data, 1) and os.readlink(reports / "latest") == "c"
    assert [s.run_id for s in sets.list_sets(data)] == ["c"]
    out = subprocess.run([sys.executable, "-m", "crm_analysis.cli", "prune", "--keep", "0",
                          "--data-dir", str(data), "--reports-dir", str(reports)],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "--keep must be at least 1" in out.stderr


def test_a_partial_run_starts_from_the_published_set(tmp_path):
    data, reports = _root(tmp_path / "data"), tmp_path / "reports"
    assert run_reports(FIXTURES, data, reports, run_id="full", notebooks=["01_a"],
                       overrides=["n=4"]).exit_code == 0
    full = sets.current_set(data)
    files = sorted(p.name for p in full.iterdir())
    result = run_reports(FIXTURES, data, reports, run_id="only-b", notebooks=["02_b"])
    assert result.exit_code == 0 and result["02_b"].metrics["a_value"]["value"] == 4
    assert "outputs come from the published processed set" in (
        reports / "only-b" / "run.log").read_text()
    # it read copies: the set it started from is as it was, the new one has both files
    assert sorted(p.name for p in full.iterdir()) == files and "target_list.csv" not in files
    assert (result.processed_dir / "a.txt").read_text() == "4"
    assert sets.current_set(data) == result.processed_dir


def test_real_notebooks_at_once_give_the_figures_of_solo_runs(tmp_path):
    """Two snapshots of one small export, run alone and then together on one data root."""
    notebooks = ["01_data_cleaning", "03_customer_value"]

    def run(data: Path, run_id: str, snapshot: str):
        return subprocess.Popen(
            [sys.executable, "-m", "crm_analysis.cli", "-q", "report", "--notebooks",
             ",".join(notebooks), "--data-dir", str(data), "--reports-dir",
             str(tmp_path / "reports"), "--run-id", run_id, "-p", f"snapshot_date={snapshot}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            cwd=PROJECT_ROOT)

    def figures(run_id: str) -> dict:
        manifest = json.loads((tmp_path / "reports" / run_id / "run.json").read_text())
        return {nb["name"]: {k: m["value"] for k, m in nb["metrics"].items()
                             if k != "data_set"}  # the data root's name differs by design
                for nb in manifest["notebooks"]}

    for folder in ("solo", "solo-2", "together"):
        write_preset("thirty_customers", tmp_path / folder / "raw", seed=3)
    # the solo runs each have a data root of their own (so they may run at the same time)
    procs = [run(tmp_path / "solo", "solo-june", "2025-06-30"),
             run(tmp_path / "solo-2", "solo-dec", "2024-12-31")]
    procs += [run(tmp_path / "together", "june", "2025-06-30"),
              run(tmp_path / "together", "dec", "2024-12-31")]
    for proc in procs:
        code, out = _finish(proc)
        assert code == 0, out
    assert figures("june") == figures("solo-june")
    assert figures("dec") == figures("solo-dec")
    assert figures("june") != figures("dec")
