"""Unit tests of the report runner's parts that need no Jupyter kernel."""

from __future__ import annotations

import argparse
import fcntl
import io
import json
import os
import sys
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest

from crm_analysis.limits import USE_WITH_CARE, Verdict
from crm_analysis.reports import METRIC_MIME, ReportConfigError, RunLockedError, read_metrics
from crm_analysis.reports import html as rhtml
from crm_analysis.reports.cli import add_report_parser
from crm_analysis.reports.dataroot import prepare_data_root
from crm_analysis.reports.index import index_html
from crm_analysis.reports.latest import point_latest, update_latest
from crm_analysis.reports.lock import lock_path, run_lock
from crm_analysis.reports.manifest import data_fingerprint, package_versions
from crm_analysis.reports.metrics import format_metric, metric_payload, record_metric
from crm_analysis.reports.notebooks import (
    discover_notebooks,
    order_notebooks,
    with_requirements,
)
from crm_analysis.reports.params import (
    load_config,
    parse_override,
    parse_value,
    resolve_parameters,
)
from crm_analysis.reports.runid import check_run_id
from crm_analysis.reports.runlog import RunLog
from crm_analysis.reports.runner import _remove_stale

FIXTURES = Path(__file__).parent / "notebooks_fixture"


def write_nb(folder: Path, name: str, requires: list[str] | None = None, params: str = "") -> None:
    nb = nbformat.v4.new_notebook()
    if params:
        cell = nbformat.v4.new_code_cell(params)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    if requires is not None:
        nb.metadata["crm_analysis"] = {"requires": requires}
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")


# ----------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", 5),
        ("0.25", 0.25),
        ("true", True),
        ("null", None),
        ("[1, 2]", [1, 2]),
        ("2025-06-30", "2025-06-30"),
        ("2025-06-30T12:00:00", "2025-06-30T12:00:00"),
        ("abc", "abc"),
        ("'007'", "007"),
    ],
)
def test_parse_value_keeps_yaml_types_but_dates_as_text(text, expected):
    value = parse_value(text)
    assert value == expected
    assert type(value) is type(expected)


def test_parse_override_splits_on_first_equals():
    assert parse_override("label=a=b") == ("label", "a=b")
    with pytest.raises(ReportConfigError, match="name=value"):
        parse_override("no_equals_sign")


def test_load_config_keeps_dates_as_text(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("snapshot_date: 2025-06-30\nseed: 7\n")
    assert load_config(path) == {"snapshot_date": "2025-06-30", "seed": 7}
    assert load_config(tmp_path / "missing.yaml", required=False) == {}
    with pytest.raises(ReportConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")
    path.write_text("- a list\n")
    with pytest.raises(ReportConfigError, match="mapping"):
        load_config(path)


def test_project_config_is_a_flat_mapping():
    from crm_analysis.reports.plan import DEFAULT_CONFIG

    values = load_config(DEFAULT_CONFIG)
    assert values["seed"] == 20240101
    assert "snapshot_date" in values


def test_resolve_parameters_delivers_only_declared_names(tmp_path):
    specs = discover_notebooks(FIXTURES)
    ordered, _ = order_notebooks(specs, ["01_a", "02_b"])
    declared = {
        "01_a": {"n": {"default": "3"}, "snapshot_date": {"default": "None"}},
        "02_b": {"m": {"default": "0"}},
    }
    injected, notes = resolve_parameters(
        ordered, {"m": 7, "seed": 1}, {"n": 5, "snapshot_date": "2025-06-30"}, declared
    )
    assert injected == {"01_a": {"n": 5, "snapshot_date": "2025-06-30"}, "02_b": {"m": 7}}
    assert any("'seed'" in note for note in notes)


def test_unknown_parameter_names_suggestion_and_declared_list():
    specs = discover_notebooks(FIXTURES)
    ordered, _ = order_notebooks(specs, ["01_a"])
    declared = {"01_a": {"n": {}, "snapshot_date": {}}}
    with pytest.raises(ReportConfigError) as err:
        resolve_parameters(ordered, {}, {"snapshot_dat": "2025-01-01"}, declared)
    message = str(err.value)
    assert "snapshot_dat" in message
    assert "Did you mean 'snapshot_date'" in message
    assert "n, snapshot_date" in message
    assert err.value.exit_code == 2


# ----------------------------------------------------------------------------- notebooks


def test_order_is_topological_with_ties_by_name(tmp_path):
    write_nb(tmp_path, "01_clean")
    write_nb(tmp_path, "02_value", ["03_features"])
    write_nb(tmp_path, "03_features", ["01_clean"])
    write_nb(tmp_path, "04_other")
    ordered, outside = order_notebooks(discover_notebooks(tmp_path))
    assert [s.name for s in ordered] == ["01_clean", "03_features", "02_value", "04_other"]
    assert outside == {}


def test_subset_adds_nothing_and_reports_outside_requirements():
    specs = discover_notebooks(FIXTURES)
    ordered, outside = order_notebooks(specs, ["02_b", "05"])
    assert [s.name for s in ordered] == ["02_b", "05_slow"]
    assert outside == {"02_b": ["01_a"]}


def test_requirements_are_added_through_every_level(tmp_path):
    """Issue 19: ``--notebooks 03`` on a fresh data root needs 01; a chain is followed."""
    write_nb(tmp_path, "01_x", [])
    write_nb(tmp_path, "02_y", ["01_x"])
    write_nb(tmp_path, "03_z", ["02_y"])
    write_nb(tmp_path, "04_w", [])
    names, added = with_requirements(discover_notebooks(tmp_path), ["03"])
    assert sorted(names) == ["01_x", "02_y", "03_z"] and added == ["01_x", "02_y"]
    assert with_requirements(discover_notebooks(tmp_path), ["04_w"]) == (["04_w"], [])


def test_cycle_and_unknown_names_are_configuration_errors(tmp_path):
    write_nb(tmp_path, "01_x", ["02_y"])
    write_nb(tmp_path, "02_y", ["01_x"])
    with pytest.raises(ReportConfigError, match="cycle"):
        order_notebooks(discover_notebooks(tmp_path))
    with pytest.raises(ReportConfigError, match="Did you mean '01_x'"):
        order_notebooks(discover_notebooks(tmp_path), ["01_xx"])
    write_nb(tmp_path / "other", "01_z", ["00_missing"])
    with pytest.raises(ReportConfigError, match="00_missing"):
        discover_notebooks(tmp_path / "other")


def test_run_id_validation():
    assert check_run_id("20261124T235959Z") == "20261124T235959Z"
    for bad in ["latest", "../x", ".hidden", "a b", ""]:
        with pytest.raises(ReportConfigError):
            check_run_id(bad)


# ----------------------------------------------------------------------------- metrics


def test_metric_payload_converts_numpy_and_checks_format():
    payload = metric_payload("auc", np.float64(0.8125), label="AUC", fmt=".2f")
    assert payload == {"name": "auc", "value": 0.8125, "label": "AUC", "fmt": ".2f"}
    assert type(payload["value"]) is float
    assert type(metric_payload("n", np.int64(3))["value"]) is int
    assert metric_payload("nan", float("nan"))["value"] is None
    with pytest.raises(TypeError):
        metric_payload("frame", {"a": 1})
    with pytest.raises(ValueError):
        metric_payload("bad", 3.0, fmt="%d")
    json.dumps(payload)


def test_a_present_value_carries_its_note_and_an_absent_one_its_reason():
    verdict = Verdict(USE_WITH_CARE, "the forecast missed by 1.6 times the naive error")
    payload = metric_payload(**verdict.metric("demand_forecast_verdict", "Forecast reliability"))
    assert payload["value"] == "use with care" and payload["note"].startswith("the forecast")
    assert "reason" not in payload
    absent = metric_payload("auc", None, reason="no backtest", note="ignored")
    assert absent["reason"] == "no backtest" and "note" not in absent
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(""))
    nb.cells[0].outputs.append(nbformat.v4.new_output(
        "display_data", data={METRIC_MIME: payload, "text/plain": "x"}))
    assert read_metrics(nb)["demand_forecast_verdict"]["note"] == payload["note"]
    assert verdict.sentence("Forecast").startswith("**Forecast: use with care.** The forecast")
    with pytest.raises(ValueError, match="verdict level"):
        Verdict("fine", "why")


def test_record_metric_outside_ipython_prints_a_line(capsys):
    record_metric("customers", 1234, label="Customers", fmt=",d")
    assert capsys.readouterr().out.strip() == "metric Customers: 1,234"


def test_read_metrics_last_value_wins():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    for value in (1, 2):
        cell.outputs.append(
            nbformat.v4.new_output(
                "display_data",
                data={METRIC_MIME: metric_payload("k", value, label="K"), "text/plain": "x"},
            )
        )
    nb.cells.append(cell)
    assert read_metrics(nb) == {"k": {"value": 2, "label": "K", "fmt": None}}


def test_format_metric():
    assert format_metric(1234567) == "1,234,567"
    assert format_metric(0.1234, ".1%") == "12.3%"
    assert format_metric(None) == "n/a"
    assert format_metric("text", ".2f") == "text"


# ----------------------------------------------------------------------------- html


def test_strip_external_resources_keeps_links_and_data_uris():
    page = (
        '<script src="https://cdn.example/require.js"></script>'
        '<link rel="stylesheet" href="http://cdn.example/x.css">'
        '<img src="https://example.org/remote.png" alt="r"><img src="data:image/png;base64,AA">'
        '<a href="https://example.org">docs</a>'
    )
    out = rhtml.strip_external_resources(page)
    assert "require.js" not in out
    assert "x.css" not in out
    assert "remote.png" not in out
    assert "data:image/png" in out
    assert '<a href="https://example.org">' in out


def test_failure_sentence_is_plain():
    failure = rhtml.Failure("error", "KeyError", "'amount'", step=3, section="Revenue")
    assert failure.sentence() == (
        "The analysis stopped at step 3 (section \u201cRevenue\u201d) with an error: "
        "KeyError: 'amount'"
    )
    timeout = rhtml.Failure("timeout", "CellTimeoutError", "", step=1, timeout=5)
    assert "did not finish within 5 seconds" in timeout.sentence()


# ----------------------------------------------------------------------------- files


def test_fingerprint_changes_with_content_names_and_ignores_hidden(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "orders.csv").write_text("a,b\n1,2\n")
    first = data_fingerprint(raw)
    assert first["files"] == 1
    assert first["bytes"] == 8
    assert data_fingerprint(raw) == first
    (raw / ".DS_Store").write_text("noise")
    assert data_fingerprint(raw) == first
    (raw / "orders.csv").write_text("a,b\n1,3\n")  # same size, other content
    second = data_fingerprint(raw)
    assert second["sha256"] != first["sha256"]
    (raw / "orders.csv").rename(raw / "orders2.csv")
    assert data_fingerprint(raw)["sha256"] != second["sha256"]


def test_package_versions_names():
    versions = package_versions()
    expected = {"python", "pandas", "numpy", "scipy", "sklearn", "papermill", "crm_analysis"}
    assert expected <= versions.keys()
    assert versions["python"] == ".".join(map(str, sys.version_info[:3]))


def test_lock_is_exclusive_and_removed(tmp_path):
    with run_lock(tmp_path, "r1") as path:
        assert path == lock_path(tmp_path, "r1")
        with pytest.raises(RunLockedError, match="in progress"), run_lock(tmp_path, "r1"):
            pass
        with run_lock(tmp_path, "r2"):
            pass
    assert not path.exists()
    with run_lock(tmp_path, "r1"):  # free again
        pass


def test_lock_held_by_another_open_file(tmp_path):
    path = lock_path(tmp_path, "x")
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RunLockedError), run_lock(tmp_path, "x"):
            pass


def test_point_latest_is_relative_and_replaced(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    point_latest(tmp_path, "a")
    point_latest(tmp_path, "b")
    link = tmp_path / "latest"
    assert link.is_symlink()
    assert link.readlink() == Path("b")
    assert not list(tmp_path.glob(".tmp-*"))


def test_failed_rerun_of_latest_falls_back_to_newest_successful_run(tmp_path):
    for name, status, finished in [
        ("a", "ok", "2026-01-01"),
        ("b", "ok", "2026-01-02"),
        ("c", "failed", "2026-01-03"),
    ]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.json").write_text(
            json.dumps({"status": status, "finished": finished})
        )
    point_latest(tmp_path, "c")  # as if "c" had been ok before a --force rerun that failed
    update_latest(tmp_path, "c", False, RunLog(io.StringIO()))
    assert (tmp_path / "latest").readlink() == Path("b")
    update_latest(tmp_path, "a", False, RunLog(io.StringIO()))  # latest is not "a": unchanged
    assert (tmp_path / "latest").readlink() == Path("b")


def test_remove_stale_only_touches_its_own_run_id(tmp_path):
    mine = tmp_path / ".tmp-r.abcd_123"
    other = tmp_path / ".tmp-r.1.abcd_123"
    for folder in (mine, other):
        folder.mkdir()
    _remove_stale(tmp_path, "r")
    assert not mine.exists()
    assert other.exists()


# ----------------------------------------------------------------------------- data root


def test_explicit_empty_data_root_is_an_error(tmp_path):
    with pytest.raises(ReportConfigError, match="no data in"):
        prepare_data_root(tmp_path, is_default=False)


def test_default_empty_data_root_calls_synthetic_hook(tmp_path, monkeypatch):
    calls = []

    def write_default_dataset(raw_dir):
        calls.append(raw_dir)
        (Path(raw_dir) / "orders.csv").write_text("customer_id,order_date,amount\n")

    fake = types.ModuleType("crm_analysis.synthetic")
    fake.write_default_dataset = write_default_dataset
    monkeypatch.setitem(sys.modules, "crm_analysis.synthetic", fake)
    prepare_data_root(tmp_path, is_default=True)
    assert calls == [tmp_path / "raw"]
    assert (tmp_path / "processed").is_dir()
    prepare_data_root(tmp_path, is_default=True)  # raw/ has data now: analysed as is
    assert len(calls) == 1


def test_missing_synthetic_hook_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "crm_analysis.synthetic", None)
    with pytest.raises(ReportConfigError, match="write_default_dataset is not available"):
        prepare_data_root(tmp_path, is_default=True)


# ----------------------------------------------------------------------------- run plan


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _plan_inputs(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    (data / "raw" / "orders.csv").write_text("customer_id,order_date,amount\nc1,2025-01-02,1\n")
    params = tmp_path / "reports.yaml"
    params.write_text("seed: 1\nm: 7\nengine: duckdb\n", encoding="utf-8")
    return data, params


def test_a_plan_resolves_the_run_and_writes_nothing(tmp_path):
    import dataclasses

    from crm_analysis.reports.plan import plan_run

    data, params = _plan_inputs(tmp_path)
    before = _files(tmp_path)
    plan = plan_run(FIXTURES, data, tmp_path / "reports", run_id="p", config_path=params,
                    overrides=["n=3"], timeout=0, keep=2)
    assert _files(tmp_path) == before  # no reports folder, lock, processed set or log
    assert [nb.name for nb in plan.notebooks] == [
        "01_a", "02_b", "03_fails", "04_after_fail", "05_slow"]
    assert plan.run_dir == tmp_path.resolve() / "reports" / "p"
    assert plan.data_dir == data.resolve() and not plan.is_default_root
    assert (plan.timeout, plan.keep, plan.force) == (None, 2, False)
    assert plan.settings == {"engine": "duckdb"} and plan.given == {"n": 3}
    assert plan.injected["01_a"]["engine_settings"] == {"engine": "duckdb"}  # declared there
    assert all("engine_settings" not in plan.injected[name] for name in ("02_b", "05_slow"))
    assert plan.parameters("02_b") == {"m": 7}
    assert plan.parameters("05_slow") == {"seconds": 0.0}
    assert any("'seed'" in note for note in plan.notes)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.run_id = "q"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"run_id": "latest"}, "bad run id"),
        ({"timeout": -1}, "timeout must be positive"),
        ({"keep": 0}, "--keep must be at least 1"),
        ({"overrides": ["nope=1"]}, "unknown parameter 'nope'"),
        ({"overrides": ["engine_settings={}"]}, "filled by the runner"),
        ({"overrides": ["duckdb_threads=two"]}, "duckdb_threads"),
        ({"notebooks": ["99_missing"]}, "99_missing"),
        ({"data_dir": "empty"}, "no data in"),
    ],
)
def test_a_bad_plan_raises_and_writes_nothing(tmp_path, kwargs, words):
    from crm_analysis.reports.plan import plan_run

    data, params = _plan_inputs(tmp_path)
    if kwargs.get("data_dir") == "empty":
        kwargs = {**kwargs, "data_dir": tmp_path / "empty"}
        (tmp_path / "empty").mkdir()
    before = _files(tmp_path)
    with pytest.raises(ReportConfigError, match=words):
        plan_run(**{"notebooks_dir": FIXTURES, "data_dir": data, "reports_dir": tmp_path / "r",
                    "run_id": "p", "config_path": params, **kwargs})
    assert _files(tmp_path) == before


def test_the_modules_a_run_uses_do_not_import_the_runner():
    """No import cycle: the runner imports them, none of them imports the runner (not even
    for type hints); importing them leaves the runner unloaded."""
    import ast
    import subprocess

    package = Path(__file__).parents[1] / "crm_analysis" / "reports"
    for module in package.glob("*.py"):
        if module.stem in {"runner", "cli", "__init__"}:  # cli and __init__ load it lazily
            continue
        imported = set()
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        assert "crm_analysis.reports.runner" not in imported, module.name
    code = ("import sys\n"
            "import crm_analysis.reports.dataroot, crm_analysis.reports.latest\n"
            "import crm_analysis.reports.plan, crm_analysis.reports.outcome\n"
            "import crm_analysis.reports.runlog\n"
            "print('crm_analysis.reports.runner' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- cli + index


def test_cli_parser_options_and_help_lists_exit_codes():
    parser = argparse.ArgumentParser(prog="crm-analysis")
    sub = parser.add_subparsers()
    report = add_report_parser(sub)
    args = parser.parse_args(
        [
            "report",
            "-p",
            "n=5",
            "-p",
            "snapshot_date=2025-06-30",
            "--force",
            "--timeout",
            "5",
            "--notebooks",
            "01_a,02_b",
        ]
    )
    assert args.parameters == ["n=5", "snapshot_date=2025-06-30"]
    assert args.force
    assert args.timeout == 5
    assert args.func.__name__ == "run_report_command"
    text = report.format_help()
    assert "exit codes" in text
    assert "130" in text


def test_index_lists_notebooks_metrics_and_parameters():
    manifest = {
        "run_id": "r",
        "status": "failed",
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:01:00+00:00",
        "parameters": {"01_a": {"n": 5}, "02_b": {"n": 5, "m": 1}},
        "notebooks": [
            {
                "name": "01_a",
                "title": "A <b>",
                "status": "ok",
                "duration_seconds": 1.25,
                "metrics": {"k": {"value": 1234, "label": "Customers", "fmt": ",d"},
                            "v": {"value": "use with care", "label": "Reliability",
                                  "note": "MASE <1.6>"}},
                "html": "01_a.html",
                "ipynb": "01_a.ipynb",
                "error": None,
            },
            {
                "name": "02_b",
                "title": None,
                "status": "skipped",
                "duration_seconds": None,
                "metrics": {},
                "html": None,
                "ipynb": None,
                "error": {"type": "DependencyFailed", "message": "skipped because 01_a failed"},
            },
        ],
    }
    page = index_html(manifest)
    assert "Customers" in page
    assert "1,234" in page
    assert 'href="01_a.html"' in page
    assert "A &lt;b&gt;" in page
    assert "skipped because 01_a failed" in page
    assert "use with care</span> <small>(MASE &lt;1.6&gt;)</small>" in page
    assert "1.2 s" in page or "1.3 s" in page


def test_run_settings_are_split_from_parameters() -> None:
    from crm_analysis.engines import EngineConfig
    from crm_analysis.reports.errors import ReportConfigError
    from crm_analysis.reports.settings import kernel_environment, split_settings

    settings, defaults, given = split_settings(
        {"engine": "pandas", "seed": 1, "duckdb_memory_limit": None, "duckdb_threads": "2"},
        {"engine": "DuckDB", "duckdb_memory_limit": "1.5GB", "n": 2})
    assert settings == {"engine": "duckdb", "duckdb_memory_limit": "1.5GB", "duckdb_threads": 2}
    assert EngineConfig.from_settings(settings) == EngineConfig(
        "duckdb", duckdb_memory_limit="1.5GB", duckdb_threads=2)
    assert defaults == {"seed": 1} and given == {"n": 2}
    env = kernel_environment()  # the engine is not in the kernels' environment
    assert set(env) == {"ARROW_DEFAULT_MEMORY_POOL"}
    assert env["ARROW_DEFAULT_MEMORY_POOL"] in {"system", os.environ.get(
        "ARROW_DEFAULT_MEMORY_POOL")}
    assert split_settings({"engine": None}, {})[0] == {}  # null: the default (pandas)
    for bad, words in (({"duckdb_threads": "two"}, "duckdb_threads='two' is not a positive"),
                       ({"duckdb_memory_limit": "lots"}, "duckdb_memory_limit='lots'"),
                       ({"engine_settings": {}}, "filled by the runner")):
        with pytest.raises(ReportConfigError, match=words):
            split_settings({}, bad)


def _output_cell(text: str, source: str = "x"):
    """An executed code cell that shows ``text`` as HTML."""
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": f"<p>{text}</p>"})]
    return cell


def test_appendices_fold_methods_and_checks_at_the_end_under_a_table_of_contents():
    """Issue 18: a heading cell tagged ``appendix`` takes its section to a folded appendix at the
    end; a cell tagged ``appendix:<title>`` goes alone into that appendix; the body opens with
    a table of contents."""
    v4 = nbformat.v4
    nb = v4.new_notebook()
    output = _output_cell
    check = output("generator check")
    check.metadata["tags"] = ["appendix:Checks against the generator"]
    methods = v4.new_markdown_cell("## The models\n\nHow they work.")
    methods.metadata["tags"] = ["appendix"]
    nb.cells = [v4.new_markdown_cell("# Title\n\nIntro."), v4.new_markdown_cell("## Key findings"),
                output("finding one"), check, v4.new_markdown_cell("## Evidence"),
                output("chart"), methods, output("parameter table"),
                v4.new_markdown_cell("## Who to call"), output("call list")]
    page = rhtml.notebook_html(nb, name="07_x", run_id="r")
    body, appendix = page.split('<section class="appendix">', 1)
    toc = body[body.index('<nav class="toc"'):body.index("</nav>", body.index('<nav class="toc"'))]
    assert all(f'href="#{a}"' in toc for a in ("Key-findings", "Evidence", "Who-to-call",
                                               "appendix"))
    assert "The models" not in toc and body.index("Intro.") < body.index('<nav class="toc"')
    assert body.index("finding one") < body.index("chart") < body.index("call list")
    for text in ("generator check", "parameter table", "How they work."):
        assert text not in body and text in appendix
    assert "<summary>The models</summary>" in appendix
    assert "<summary>Checks against the generator</summary>" in appendix
    assert appendix.count("<details>") == 2 and "<h2" not in appendix.split("</h2>", 1)[1]


def test_action_sections_follow_the_key_findings_before_the_evidence():
    """Issue 18: findings, then actions, then evidence. A heading tagged ``action`` takes its
    section (with its sub-sections) to just after the key findings; a code comment that starts
    with ``#`` is not a heading."""
    v4 = nbformat.v4
    nb = v4.new_notebook()

    def output(text):
        return _output_cell(text, source="# not a heading\nx")

    call = v4.new_markdown_cell("## Who to call")
    call.metadata["tags"] = ["action"]
    nb.cells = [v4.new_markdown_cell("# Title\n\nIntro."), v4.new_markdown_cell("## Key findings"),
                output("finding one"), v4.new_markdown_cell("## Evidence"), output("chart"),
                call, output("call list"), v4.new_markdown_cell("### The whole list"),
                output("more calls"), v4.new_markdown_cell("## Risk tiers"), output("tier table")]
    page = rhtml.notebook_html(nb, name="07_x", run_id="r")
    order = [page.index(t) for t in
             ("finding one", "call list", "more calls", "chart", "tier table")]
    assert order == sorted(order)
