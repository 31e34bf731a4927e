"""End-to-end tests of the report runner: real kernels on the tiny fixture notebooks.

The expensive run (all fixture notebooks) is shared by the module; the other tests run one
small notebook each. Kernel start-up is about a second per notebook.
"""

from __future__ import annotations

import argparse
import fcntl
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm_analysis.reports import ReportConfigError, RunExistsError, run_reports
from crm_analysis.reports.cli import add_report_parser, run_report_command
from crm_analysis.reports.lock import lock_path
from crm_analysis.reports.manifest import data_fingerprint

FIXTURES = Path(__file__).parent / "notebooks_fixture"
ORDER = ["01_a", "02_b", "03_fails", "04_after_fail", "05_slow"]
EXTERNAL = re.compile(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)

pytestmark = pytest.mark.slow



def run_args(data, reports, run_id: str, *extra: str) -> list[str]:
    """Command-line arguments of a fixture run into ``reports`` with ``run_id``."""
    return ["--notebooks-dir", str(FIXTURES), "--data-dir", str(data),
            "--reports-dir", str(reports), "--run-id", run_id, *extra]

def make_data_root(path: Path) -> Path:
    (path / "raw").mkdir(parents=True)
    (path / "raw" / "orders.csv").write_text(
        "customer_id,order_date,amount\nc1,2025-01-02,10.5\n", encoding="utf-8"
    )
    return path


def kernels_started_by(pid: int) -> list[int]:
    """Live processes whose environment says jupyter_client started them for ``pid``."""
    found = []
    marker = f"JPY_PARENT_PID={pid}".encode()
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="crm-analysis")
    add_report_parser(parser.add_subparsers())
    return run_report_command(parser.parse_args(["report", *argv]))


@pytest.fixture(scope="module")
def main_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("main")
    data = make_data_root(base / "data")
    params = base / "reports.yaml"
    params.write_text("snapshot_date: null\nseed: 1\nm: 7\nengine: duckdb\n", encoding="utf-8")
    stream = io.StringIO()
    result = run_reports(
        FIXTURES,
        data,
        base / "reports",
        run_id="main",
        config_path=params,
        overrides=["n=5", "snapshot_date=2025-06-30"],
        stream=stream,
    )
    return result, stream.getvalue(), data, base / "reports"


def pages(run_dir: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(run_dir.glob("*.html"))}


# ----------------------------------------------------------------------------- the shared run


def test_runs_in_dependency_order_and_logs_progress(main_run):
    result, log, _, reports = main_run
    assert [nb.name for nb in result.notebooks] == ORDER
    assert re.search(r"\[1/5\] 01_a \.\.\. ok \(\d+\.\d s\)", log)
    assert log.index("01_a ... ok") < log.index("02_b ... ok")
    run_log = (reports / "main" / "run.log").read_text(encoding="utf-8")
    assert "[5/5] 05_slow ... ok" in run_log


def test_failure_skips_dependents_only_and_exits_1(main_run):
    result, _, _, _ = main_run
    assert result.exit_code == 1
    assert result.status == "failed"
    assert result.statuses == {
        "01_a": "ok",
        "02_b": "ok",
        "03_fails": "failed",
        "04_after_fail": "skipped",
        "05_slow": "ok",
    }
    assert "ValueError: the input table is broken" in result["03_fails"].error["message"]
    assert "from 03_fails, which failed" in result["04_after_fail"].error["message"]


def test_a_notebook_runs_on_when_one_it_only_uses_fails(tmp_path):
    """Issue 14: dependants run on what exists; only a missing input stops a notebook."""
    import nbformat

    def notebook(name: str, code: str, **meta) -> None:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}"),
                                             nbformat.v4.new_code_cell(code)])
        nb.metadata["crm_analysis"] = meta
        nbformat.write(nb, tmp_path / "nbs" / f"{name}.ipynb")

    (tmp_path / "nbs").mkdir()
    notebook("01_clean", "x = 1")
    notebook("02_model", "raise ValueError('no fit')", requires=["01_clean"])
    notebook("03_uses", "y = 2", requires=["01_clean"], uses=["02_model"])
    notebook("04_needs", "z = 3", requires=["01_clean"], needs=["orders.parquet"])
    result = run_reports(tmp_path / "nbs", make_data_root(tmp_path / "data"),
                         tmp_path / "reports", run_id="uses")
    assert [nb.name for nb in result.notebooks] == ["01_clean", "02_model", "03_uses",
                                                    "04_needs"]
    assert result.statuses == {"01_clean": "ok", "02_model": "failed", "03_uses": "ok",
                               "04_needs": "skipped"}
    message = result["04_needs"].error["message"]
    assert "orders.parquet" in message and "missing" in message


def test_parameters_keep_types_and_reach_only_declaring_notebooks(main_run):
    result, _, _, _ = main_run
    a = result["01_a"].metrics
    assert a["n_squared"]["value"] == 25
    assert a["n_type"]["value"] == "int"
    assert a["snapshot_type"]["value"] == "str"
    assert result["01_a"].parameters == {"n": 5, "snapshot_date": "2025-06-30",
                                         "engine_settings": {"engine": "duckdb"}}
    assert result["02_b"].parameters == {"m": 7}  # from the parameter file
    assert result["02_b"].metrics["has_n"]["value"] is False
    assert result["05_slow"].parameters == {"seconds": 0.0}  # notebook default


def test_kernel_is_this_python_and_gets_the_data_root(main_run):
    result, _, data, _ = main_run
    metrics = result["01_a"].metrics
    assert metrics["python"]["value"] == sys.executable
    assert metrics["data_dir"]["value"] == str(data.resolve())
    assert (result.processed_dir / "a.txt").read_text() == "5"
    assert result.processed_dir.parent == data.resolve() / "processed" / "runs"
    assert result["02_b"].metrics["a_value"]["value"] == 5


def test_engine_setting_reaches_the_kernels_not_the_parameters(main_run):
    result, log, _, reports = main_run
    # a parameter of the notebooks that declare it, not the runner's or the kernels' environment
    assert result["01_a"].metrics["engine"]["value"] == "duckdb"
    assert result["01_a"].parameters["engine_settings"] == {"engine": "duckdb"}
    assert all("engine" not in nb.parameters for nb in result.notebooks)
    assert "CRM_ENGINE" not in os.environ
    assert result["01_a"].metrics["kernel_engine_env"]["value"] == ""
    assert "setting engine = duckdb" in log
    assert "'engine'" not in log  # not reported as an undeclared parameter
    manifest = json.loads((reports / "main" / "run.json").read_text(encoding="utf-8"))
    assert manifest["settings"] == {"engine": "duckdb"}
    assert "engine duckdb" in (reports / "main" / "index.html").read_text(encoding="utf-8")


def test_run_json_contents(main_run):
    _, _, data, reports = main_run
    text = (reports / "main" / "run.json").read_text(encoding="utf-8")
    manifest = json.loads(text)
    assert text == json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert manifest["run_id"] == "main"
    assert manifest["status"] == "failed"
    assert manifest["started"] <= manifest["finished"]
    assert manifest["parameters"]["01_a"] == {"n": 5, "snapshot_date": "2025-06-30",
                                              "engine_settings": {"engine": "duckdb"}}
    assert {"python", "pandas", "numpy", "scipy", "sklearn", "papermill", "crm_analysis"} <= set(
        manifest["versions"]
    )
    commit = manifest["git"]["commit"]
    assert commit is None or re.fullmatch(r"[0-9a-f]{40}", commit)
    fingerprint = data_fingerprint(data / "raw")
    assert manifest["data"]["sha256"] == fingerprint["sha256"]
    by_name = {nb["name"]: nb for nb in manifest["notebooks"]}
    assert [nb["name"] for nb in manifest["notebooks"]] == ORDER
    assert by_name["01_a"]["metrics"]["n_squared"] == {
        "value": 25,
        "label": "n squared",
        "fmt": ",d",
    }
    assert by_name["03_fails"]["error"]["type"] == "ValueError"
    assert by_name["04_after_fail"]["status"] == "skipped"
    assert by_name["04_after_fail"]["duration_seconds"] is None
    assert by_name["01_a"]["duration_seconds"] > 0


def test_output_files_and_no_leftovers(main_run):
    _, _, _, reports = main_run
    run_dir = reports / "main"
    names = {p.name for p in run_dir.iterdir()}
    for nb in ["01_a", "02_b", "03_fails", "05_slow"]:
        assert {f"{nb}.ipynb", f"{nb}.html"} <= names
    assert "04_after_fail.html" not in names
    assert {"index.html", "run.json", "run.log"} <= names
    assert not [p for p in reports.iterdir() if p.name.startswith(".")]
    assert not (reports / "latest").exists()  # the only run failed


def test_html_is_for_readers(main_run):
    _, _, _, reports = main_run
    for name, page in pages(reports / "main").items():
        assert not EXTERNAL.search(page), name
        assert "<script" not in page, name
        assert "record_metric(" not in page, name
        assert "import " not in page, name
        assert "In&nbsp;[" not in page and "Out[" not in page, name
        assert "NOISY-WARNING-TEXT" not in page, name
        assert "Traceback" not in page, name
    a = pages(reports / "main")["01_a.html"]
    assert "n = " not in a and "snapshot_date" not in a  # parameters cells removed entirely
    assert "metric n squared" not in a
    assert "<h1" in a and "Fixture A" in a
    alts = re.findall(r"<img\b[^>]*\balt=\"([^\"]*)\"", a)
    assert alts == ["Revenue by month"]
    assert "data:image/png;base64," in a


def test_failed_page_has_banner_at_the_top(main_run):
    _, _, _, reports = main_run
    page = pages(reports / "main")["03_fails.html"]
    banner = page.index('class="banner failed"')
    assert banner < page.index("<h1")
    assert "the input table is broken" in page
    assert "Loading the broken table" in page[banner:]
    assert "papermill-error-cell" not in page
    assert "never reached" not in page
    assert "after the failure" not in page  # cells after the failing one did not run
    assert "03_fails.ipynb" in page[banner:]  # where the traceback is


def test_index_page(main_run):
    _, _, _, reports = main_run
    page = (reports / "main" / "index.html").read_text(encoding="utf-8")
    assert "run main" in page
    for name in ["01_a", "02_b", "03_fails", "04_after_fail", "05_slow"]:
        assert name in page
    assert 'href="01_a.html"' in page
    assert 'href="04_after_fail.html"' not in page
    assert "n squared" in page and ">25<" in page
    assert "2025-06-30" in page
    assert "skipped" in page and "failed" in page
    assert not EXTERNAL.search(page)


def test_existing_run_id_is_refused(main_run, capsys):
    _, _, data, reports = main_run
    before = (reports / "main" / "run.json").read_text()
    with pytest.raises(RunExistsError):
        run_reports(FIXTURES, data, reports, run_id="main", notebooks=["05_slow"])
    code = cli(run_args(data, reports, "main", "--notebooks", "05_slow"))
    assert code == 2
    assert "--force" in capsys.readouterr().err
    assert (reports / "main" / "run.json").read_text() == before


def test_bad_parameters_and_names_exit_2(main_run, capsys):
    _, _, data, reports = main_run
    common = run_args(data, reports, "never")
    assert cli([*common, "-p", "snapshot_dat=2025-06-30"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter 'snapshot_dat'" in err
    assert "Did you mean 'snapshot_date'" in err
    assert "Declared parameters: broken_table, m, n, note, seconds, snapshot_date" in err
    assert cli([*common, "--notebooks", "05_slow", "-p", "n=1"]) == 2  # n: not 05_slow's
    assert cli([*common, "--notebooks", "09_nope"]) == 2
    assert cli([*common, "-p", "engine=polars"]) == 2
    assert "setting engine='polars' is not an engine" in capsys.readouterr().err
    assert cli([*common, "-p", "duckdb_memory_limit=lots"]) == 2
    assert "is not a size such as 2GB" in capsys.readouterr().err
    assert cli([*common, "--data-dir", str(data / "nowhere")]) == 2
    assert "no data in" in capsys.readouterr().err
    assert not (reports / "never").exists()


def test_a_selected_notebook_brings_what_it_requires_when_nothing_is_published(tmp_path):
    """Issue 19: ``--notebooks 02_b`` on a fresh data root runs 01_a first (nothing is
    published to take its outputs from) and the log says why."""
    data = make_data_root(tmp_path / "data")
    log = io.StringIO()
    result = run_reports(FIXTURES, data, tmp_path / "reports", run_id="sub",
                         notebooks=["02_b"], stream=log)
    assert [nb.name for nb in result.notebooks] == ["01_a", "02_b"] and result.exit_code == 0
    assert "added 01_a: the selected notebooks require it" in log.getvalue()
    again = run_reports(FIXTURES, data, tmp_path / "reports", run_id="sub2",
                        notebooks=["02_b"], stream=io.StringIO())
    assert [nb.name for nb in again.notebooks] == ["02_b"]  # the published set has 01_a's


def test_list_parameters_shows_each_parameter_once_with_its_meanings(capsys):
    assert cli(["--notebooks-dir", str(FIXTURES), "--list-parameters"]) == 0
    out = capsys.readouterr().out
    for name in ("broken_table", "m", "n", "note", "seconds", "snapshot_date"):
        assert out.count(f"\n  {name} = ") == 1, name
    assert "[01_a]" in out and "Run settings" in out and "engine" in out


def test_lock_held_exits_2(main_run, capsys):
    _, _, data, reports = main_run
    with lock_path(reports, "busy").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code = cli(run_args(data, reports, "busy", "--notebooks", "05_slow"))
    assert code == 2
    assert "in progress" in capsys.readouterr().err
    assert not (reports / "busy").exists()
    lock_path(reports, "busy").unlink()


# ----------------------------------------------------------------------------- timeout, force


def test_timeout_fails_the_notebook_then_force_replaces_the_run(tmp_path):
    data = make_data_root(tmp_path / "data")
    reports = tmp_path / "reports"
    start = time.monotonic()
    slow = run_reports(
        FIXTURES,
        data,
        reports,
        run_id="r",
        notebooks=["05_slow"],
        overrides={"seconds": 60},
        timeout=2,
        stream=io.StringIO(),
    )
    assert time.monotonic() - start < 30
    assert slow.exit_code == 1
    assert slow["05_slow"].status == "failed"
    assert "did not finish within 2 seconds" in slow["05_slow"].error["message"]
    assert 'class="banner failed"' in (reports / "r" / "05_slow.html").read_text()
    assert not (reports / "latest").exists()

    with pytest.raises(RunExistsError):
        run_reports(FIXTURES, data, reports, run_id="r", notebooks=["05_slow"])
    again = run_reports(
        FIXTURES, data, reports, run_id="r", notebooks=["05_slow"], force=True, stream=io.StringIO()
    )
    assert again.exit_code == 0
    manifest = json.loads((reports / "r" / "run.json").read_text())
    assert manifest["status"] == "ok"
    assert "did not finish" not in (reports / "r" / "05_slow.html").read_text()
    assert (reports / "latest").is_symlink()
    assert os.readlink(reports / "latest") == "r"
    assert not [p for p in reports.iterdir() if p.name.startswith(".")]


# ----------------------------------------------------------------------------- interruption


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("interrupt")
    data = make_data_root(base / "data")
    reports = base / "reports"
    first = run_reports(
        FIXTURES, data, reports, run_id="before", notebooks=["05_slow"], stream=io.StringIO()
    )
    assert first.exit_code == 0
    return data, reports


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_leaves_nothing(earlier_run, signum, tmp_path):
    data, reports = earlier_run
    run_id = f"during-{signum.name}"
    argv = run_args(data, reports, run_id, "--notebooks", "05_slow", "-p", "seconds=60")
    # SIGINT may be ignored when the test runner itself runs in the background: restore it.
    code = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from crm_analysis.reports.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    err_path = tmp_path / "stderr.txt"
    with err_path.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-c", code, *argv], stderr=err)
        deadline = time.monotonic() + 60
        while "05_slow started" not in err_path.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, err_path.read_text()
            time.sleep(0.1)
        if Path("/proc/self/environ").exists():  # wait until the kernel is up
            while not kernels_started_by(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert kernels_started_by(proc.pid)
        time.sleep(1.0)  # the kernel is executing the sleeping cell
        assert any(p.name.startswith(f".tmp-{run_id}") for p in reports.iterdir())
        proc.send_signal(signum)
        code = proc.wait(timeout=60)
    assert code == 130, err_path.read_text()
    if Path("/proc/self/environ").exists():  # the kernel was shut down, not orphaned
        # generous: with the other test worker running notebooks on both cores, a kernel in a
        # sleeping cell has taken over 10 s to notice its parent is gone
        deadline = time.monotonic() + 45
        while kernels_started_by(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert kernels_started_by(proc.pid) == []
    assert "interrupted" in err_path.read_text()
    assert not (reports / run_id).exists()
    assert not list((data / "processed" / "runs").glob(f"{run_id}.*"))  # its set is gone too
    assert not [p for p in reports.iterdir() if p.name.startswith(".")]
    assert os.readlink(reports / "latest") == "before"
    assert (reports / "before" / "run.json").is_file()


def test_config_error_leaves_nothing(tmp_path):
    with pytest.raises(ReportConfigError):
        run_reports(FIXTURES, tmp_path / "empty", tmp_path / "reports", run_id="x")
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


def test_a_kernel_that_dies_while_starting_is_started_again(monkeypatch, tmp_path):
    """Kernels choose free ports that another process can take before they bind them
    ("Address already in use", seen with many runs at once): a kernel that dies before
    running a cell is replaced, up to three times; the third death fails the notebook."""
    import papermill

    from crm_analysis.reports import runner
    from crm_analysis.reports.notebooks import discover_notebooks

    spec = discover_notebooks(FIXTURES)["01_a"]
    calls = []

    def flaky(deaths):
        def execute(source, out, **kwargs):
            calls.append(out)
            if len(calls) <= deaths:
                raise RuntimeError("Kernel died before replying to kernel_info")
            Path(out).write_text("{}")
        return execute

    monkeypatch.setattr(papermill, "execute_notebook", flaky(2))
    status, failure = runner._execute(spec, tmp_path / "a.ipynb", {}, data_dir=tmp_path,
                                      timeout=None, progress=False, kernel_output=io.StringIO(),
                                      env={})
    assert (status, failure, len(calls)) == ("ok", None, 3)
    calls.clear()
    monkeypatch.setattr(papermill, "execute_notebook", flaky(3))
    status, failure = runner._execute(spec, tmp_path / "b.ipynb", {}, data_dir=tmp_path,
                                      timeout=None, progress=False, kernel_output=None, env={})
    assert status == "failed" and "kernel_info" in failure.evalue and len(calls) == 3


def test_a_front_page_chart_that_fails_does_not_fail_the_run(tmp_path, monkeypatch):
    """The chart decorates the front page; the run's results stand without it, and the log
    says what went wrong."""
    import crm_analysis.reports.trend_chart as chart_module

    def broken(*args, **kwargs):
        raise ValueError("no such column")

    monkeypatch.setattr(chart_module, "trend_chart", broken)
    data = make_data_root(tmp_path / "data")
    result = run_reports(FIXTURES, data, tmp_path / "reports", run_id="chartless",
                         notebooks=["01_a"], overrides=["n=2"])
    assert result.exit_code == 0 and (result.run_dir / "index.html").is_file()
    log = (result.run_dir / "run.log").read_text(encoding="utf-8")
    assert "the front page's chart could not be drawn: ValueError: no such column" in log

