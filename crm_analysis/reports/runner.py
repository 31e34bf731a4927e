"""Execute a planned report run with papermill into ``reports/<run_id>/``.

A run, step by step:

1. Plan it (:func:`~crm_analysis.reports.plan.plan_run`): find the notebooks, order them by their
   declared requirements, resolve parameters and run settings, check the data root. Any problem
   here is a configuration error (exit code 2) and nothing is written.
2. Execute the plan (:func:`execute_plan`): take the run id's lock
   (``reports/.<run_id>.lock``) and refuse an existing run id unless ``force``.
3. Create the run's own processed set in the data root (:mod:`~crm_analysis.reports.
   processed_sets`; leftovers of killed runs are removed first), and build the run's report in
   a hidden temporary folder next to its final place (:func:`crm_analysis.atomic.atomic_dir`).
   If the data root is the default one and its ``raw/`` is empty, the default synthetic data
   set is written first (under the data root's lock, so concurrent runs write it once).
4. Execute each notebook (kernel ``python3``, started with ``CRM_DATA_DIR``,
   ``CRM_PROCESSED_DIR`` = the run's set and ``CRM_RUN_ID`` in its environment, the runner's
   own environment unchanged; the run settings of :mod:`~crm_analysis.reports.settings` as the
   parameter ``engine_settings``; working folder = the notebook's folder; per-cell timeout);
   write the executed ``.ipynb`` and its ``.html``. A failing notebook gets a failure banner;
   notebooks that require it are skipped.
5. Write ``index.html`` and ``run.json``, mark the processed set finished, rename the report
   folder into place, and, if every notebook succeeded, publish the processed set as
   ``processed/current`` and point ``reports/latest`` at the run (each one rename).

:func:`run_reports` does both: ``execute_plan(plan_run(...))``.

Ctrl-C or SIGTERM at any point removes the temporary report folder and the run's processed set;
SIGKILL leaves them behind, unpublished, and the next run removes them. Earlier runs, the
published set and ``latest`` are untouched either way. Runs with different ids on one data root
run side by side: each reads only its own set.

Exit codes: 0 all notebooks ran, 1 a notebook failed, 2 bad input or configuration
(:class:`~crm_analysis.reports.errors.ReportConfigError`), 130 interrupted.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from crm_analysis import config
from crm_analysis.atomic import TMP_PREFIX, atomic_dir
from crm_analysis.reports import manifest as mf
from crm_analysis.reports import processed_sets as sets
from crm_analysis.reports.dataroot import prepare_data_root
from crm_analysis.reports.errors import RunExistsError
from crm_analysis.reports.kernel import (
    KERNEL_NAME,
    kernel_manager_class,
    kernel_note,
    sigterm_as_interrupt,
)
from crm_analysis.reports.latest import catch_up_latest, update_latest
from crm_analysis.reports.lock import run_lock
from crm_analysis.reports.metrics import read_metrics
from crm_analysis.reports.notebooks import NotebookSpec
from crm_analysis.reports.outcome import NotebookResult, RunResult
from crm_analysis.reports.plan import DEFAULT_TIMEOUT, RunPlan, plan_run
from crm_analysis.reports.runid import is_run_id, utc_now
from crm_analysis.reports.runlog import RunLog
from crm_analysis.reports.settings import kernel_environment

KERNEL_START_FAILED = "Kernel died before replying to kernel_info"
"""nbclient's message when a kernel process exits before it answers (no cell has run)."""

KERNEL_START_ATTEMPTS = 3
"""Kernels started per notebook before a start-up failure counts as the notebook's failure."""

BAD_INPUT_ERRORS = frozenset({"DataContractError"})
"""Exceptions that mean the data, not the code, is wrong: the run exits 2 (bad input)."""


# ----------------------------------------------------------------------------- one notebook


def _execute(
    spec: NotebookSpec,
    out: Path,
    parameters: Mapping[str, Any],
    *,
    data_dir: Path,
    timeout: float | None,
    progress: bool,
    kernel_output: IO[str] | None,
    env: Mapping[str, str],
) -> tuple[str, Any]:
    """Run one notebook; returns ``(status, failure or None)``."""
    import papermill
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    from crm_analysis.reports.html import Failure

    try:
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            try:
                papermill.execute_notebook(
                    str(spec.path),
                    str(out),
                    parameters=dict(parameters),
                    kernel_name=KERNEL_NAME,
                    progress_bar=progress,
                    log_output=False,
                    execution_timeout=math.ceil(timeout) if timeout else None,
                    cwd=str(spec.path.parent),
                    kernel_manager_class=kernel_manager_class(
                        kernel_output, {"CRM_DATA_DIR": str(data_dir), **env}),
                )
                break
            except RuntimeError as exc:
                # the kernel died before running a cell, e.g. a port another process took
                # between being chosen and bound: start a new kernel (no cell has run)
                if KERNEL_START_FAILED not in str(exc) or attempt == KERNEL_START_ATTEMPTS:
                    raise
                if kernel_output is not None:
                    print(f"{spec.name}: the kernel died while starting ({exc}); starting "
                          "a new one", file=kernel_output, flush=True)
    except PapermillExecutionError as exc:
        return "failed", Failure("error", exc.ename, exc.evalue)
    except CellTimeoutError as exc:
        return "failed", Failure(
            "timeout", type(exc).__name__, str(exc).split("\n")[0], None, None, timeout
        )
    except Exception as exc:  # dead kernel, unreadable notebook, ...
        return "failed", Failure("error", type(exc).__name__, str(exc).split("\n")[0])
    return "ok", None


def _kernel_env(plan: RunPlan, processed: Path) -> dict[str, str]:
    """The kernels' environment besides ``CRM_DATA_DIR``: the run's set and run id."""
    return {**kernel_environment(), config.PROCESSED_ENV: str(processed),
            "CRM_RUN_ID": plan.run_id}


def _run_one(
    plan: RunPlan,
    spec: NotebookSpec,
    tmp: Path,
    processed_set: sets.ProcessedSet,
    *,
    progress: bool,
    kernel_output: IO[str] | None,
) -> NotebookResult:
    """Execute one notebook of ``plan`` into ``tmp``: its ``.ipynb``, its ``.html``, its result."""
    import nbformat

    from crm_analysis.reports.html import find_failure, notebook_html, notebook_title

    out = tmp / f"{spec.name}.ipynb"
    start = time.monotonic()
    status, failure = _execute(
        spec,
        out,
        plan.injected[spec.name],
        data_dir=plan.data_dir,
        timeout=plan.timeout,
        progress=progress,
        kernel_output=kernel_output,
        env=_kernel_env(plan, processed_set.path),
    )
    duration = time.monotonic() - start
    executed = out.is_file()
    nb = nbformat.read(out if executed else spec.path, as_version=4)
    if executed:  # papermill recorded the temporary path; record the final one
        nb.metadata.setdefault("papermill", {})["output_path"] = str(plan.run_dir / out.name)
        nbformat.write(nb, out)
    if failure is not None:
        failure = find_failure(
            nb, kind=failure.kind, ename=failure.ename, evalue=failure.evalue,
            timeout=plan.timeout,
        )
    (tmp / f"{spec.name}.html").write_text(
        notebook_html(nb, name=spec.name, run_id=plan.run_id, failure=failure), encoding="utf-8"
    )
    return NotebookResult(
        name=spec.name,
        status=status,
        duration_seconds=duration,
        error=None if failure is None else {"type": failure.ename, "message": failure.sentence()},
        metrics=read_metrics(nb) if executed else {},
        parameters=plan.parameters(spec.name),
        requires=spec.requires,
        title=notebook_title(nb, spec.name),
        html=f"{spec.name}.html",
        ipynb=f"{spec.name}.ipynb" if executed else None,
    )


# ----------------------------------------------------------------------------- the run


def _json_dump(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False, default=str) + "\n"


def _remove_stale(reports_dir: Path, run_id: str) -> None:
    """Temporary folders of this run id left by a killed run (safe: we hold its lock).

    Only ``.tmp-<run_id>.<8 random characters>`` matches, never another run id's folder.
    """
    pattern = re.compile(rf"^{re.escape(TMP_PREFIX + run_id)}\.[a-z0-9_]{{8}}$")
    for stale in reports_dir.iterdir():
        if pattern.match(stale.name) and stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)


def run_reports(
    notebooks_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    reports_dir: str | os.PathLike[str] | None = None,
    run_id: str | None = None,
    config_path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    notebooks: Sequence[str] | None = None,
    force: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    *,
    keep: int | None = None,
    stream: IO[str] | None = None,
) -> RunResult:
    """Execute report notebooks in dependency order and publish them as one run.

    Parameters
    ----------
    notebooks_dir : path, optional
        Folder of ``*.ipynb`` notebooks (default ``<project>/notebooks``).
    data_dir : path, optional
        Data root with ``raw/`` and ``processed/`` (default :func:`crm_analysis.config.data_dir`).
        Passed to the kernels as ``CRM_DATA_DIR``. If it is the default root and ``raw/`` is
        empty, the default synthetic data set is written first; any other root needs data.
    reports_dir : path, optional
        Where runs go (default :func:`crm_analysis.config.reports_dir`).
    run_id : str, optional
        Name of the run folder (default: UTC time stamp such as ``20261124T235959Z``).
    config_path : path, optional
        YAML file of default parameters (default ``<project>/config/reports.yaml`` if present).
    overrides : mapping or iterable of ``"name=value"`` strings, optional
        Parameter values that win over the file; strings are parsed as YAML, dates kept as text.
    notebooks : sequence of str, optional
        Names to run (default all). Their requirements are added when no processed set is
        published yet; otherwise the published set provides the outputs of those left out.
    force : bool
        Replace an existing run with the same id.
    timeout : float or None
        Per-cell limit in seconds (``None`` or 0: no limit).
    keep : int, optional
        After a successful run, keep only the ``keep`` newest runs (report folders and
        processed sets; :func:`~crm_analysis.reports.prune.prune`). Default: keep all.
    stream : file, optional
        Where progress lines go (default ``sys.stderr``).

    Returns
    -------
    RunResult
        With ``exit_code`` 0 (all ok), 1 (a notebook failed) or 2 (a notebook stopped on bad
        input data: ``DataContractError``).

    Raises
    ------
    ReportConfigError
        Bad input or configuration (exit code 2); nothing is written.
    KeyboardInterrupt
        On Ctrl-C or SIGTERM, after removing the unfinished run folder.
    """
    return execute_plan(
        plan_run(
            notebooks_dir,
            data_dir,
            reports_dir,
            run_id,
            config_path,
            overrides,
            notebooks,
            force,
            timeout,
            keep=keep,
        ),
        stream=stream,
    )


def execute_plan(plan: RunPlan, *, stream: IO[str] | None = None) -> RunResult:
    """Carry out a run planned by :func:`~crm_analysis.reports.plan.plan_run`.

    Takes the run id's lock, creates the run's processed set and report folder, executes the
    notebooks, and publishes the run (see the module's steps 2 to 5).

    Parameters
    ----------
    plan : RunPlan
        The checked run.
    stream : file, optional
        Where progress lines go (default ``sys.stderr``).

    Returns
    -------
    RunResult
        As :func:`run_reports`.

    Raises
    ------
    ReportConfigError
        The run id is locked by another run (:class:`~crm_analysis.reports.errors.
        RunLockedError`) or exists without ``force`` (:class:`~crm_analysis.reports.errors.
        RunExistsError`), or the default data root cannot get its synthetic data.
    KeyboardInterrupt
        On Ctrl-C or SIGTERM, after removing the unfinished run folder.
    """
    log = RunLog(stream)
    out_root, run_id, root = plan.reports_dir, plan.run_id, plan.data_dir
    out_root.mkdir(parents=True, exist_ok=True)
    final = plan.run_dir
    processed_set = None
    try:
        with sigterm_as_interrupt(), run_lock(out_root, run_id):
            if final.exists() and not plan.force:
                raise RunExistsError(
                    f"run '{run_id}' already exists in {out_root}; choose another --run-id "
                    "or pass --force to replace it"
                )
            _remove_stale(out_root, run_id)
            stale = remove_dead_runs(out_root)
            catch_up_latest(out_root, sets.current_run_id(root), log)
            processed_set, leftovers = sets.new_set(root, run_id)
            with atomic_dir(final, overwrite=plan.force) as tmp:
                kernel_output = log.attach(tmp / "run.log")
                for folder in [*stale, *leftovers]:
                    log.info(f"removed the leftovers of a run that was killed: {folder}")
                try:
                    result = _run(plan, log, tmp, processed_set, kernel_output)
                finally:
                    log.close()
                processed_set.finish(result.status)
                checkpoint("finished")
            ok = result.status == "ok"
            if ok:
                checkpoint("before-publish")
                sets.publish(processed_set)
                checkpoint("published")
            update_latest(out_root, run_id, ok, log)
            processed_set.close()
            if ok and plan.keep is not None:
                from crm_analysis.reports.prune import prune

                for gone in prune(out_root, root, plan.keep):
                    log.info(f"pruned {gone}")
    except BaseException as exc:
        if processed_set is not None and not (processed_set.path / sets.COMPLETE).exists():
            processed_set.discard()  # unfinished: never published, nobody else reads it
        elif processed_set is not None:
            processed_set.close()
        if isinstance(exc, KeyboardInterrupt):
            log.close()
            log.info(f"interrupted: run '{run_id}' abandoned, no run folder written")
        raise
    return result


def checkpoint(name: str) -> None:
    """Fault injection for the crash tests: ``CRM_TEST_KILL_AT=<name>`` makes the run kill
    itself with SIGKILL here, as a power cut or the OOM killer would. Never set in use."""
    if os.environ.get("CRM_TEST_KILL_AT") == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def remove_dead_runs(reports_dir: Path) -> list[Path]:
    """Temporary report folders of killed runs of any run id (their run lock is free)."""
    from crm_analysis.reports.errors import RunLockedError

    pattern = re.compile(rf"^{re.escape(TMP_PREFIX)}(.+)\.[a-z0-9_]{{8}}$")
    removed = []
    for stale in sorted(reports_dir.iterdir()):
        found = pattern.match(stale.name)
        if not found or not stale.is_dir() or stale.is_symlink():
            continue
        other = found.group(1)
        if not is_run_id(other):
            continue
        try:
            with run_lock(reports_dir, other):
                shutil.rmtree(stale, ignore_errors=True)
                removed.append(stale)
        except RunLockedError:
            continue  # that run is alive
    return removed


def _missing_inputs(spec: NotebookSpec, results: Mapping[str, NotebookResult],
                    processed: Path) -> str | None:
    """Why ``spec`` cannot run, in words, or None: a required notebook of this run did not
    finish, or a processed file it needs is not there. Notebooks it only ``uses`` never stop it."""
    blocked = [r for r in spec.requires if r in results and results[r].status != "ok"]
    needs = ", ".join(spec.needs) or "its outputs"
    if blocked:
        return (f"it needs {needs} from " + ", ".join(f"{r}, which {results[r].status}"
                                                     for r in blocked))
    missing = [f for f in spec.needs if not (processed / f).is_file()]
    if missing:
        return (f"it needs {', '.join(missing)} in {processed}, which "
                f"{'is' if len(missing) == 1 else 'are'} missing: run "
                f"{', '.join(spec.requires) or 'the notebook that writes it'} first")
    return None


def _run(
    plan: RunPlan,
    log: RunLog,
    tmp: Path,
    processed_set: sets.ProcessedSet,
    kernel_output: IO[str],
) -> RunResult:
    """The body of a run, inside the temporary run folder ``tmp``."""
    run_id, root, final = plan.run_id, plan.data_dir, plan.run_dir
    log.info(f"run {run_id}: {len(plan.notebooks)} notebook(s) from {plan.notebooks_dir}")
    log.info(f"data root {root}")
    log.info(f"processed set {processed_set.path}")
    for name, value in plan.settings.items():
        log.info(f"setting {name} = {value}")
    for note in [kernel_note(), *plan.notes]:
        if note:
            log.info(note)
    prepare_data_root(root, is_default=plan.is_default_root, log=log)
    published = sets.current_set(root)
    if plan.outside:
        for name, missing in plan.outside.items():
            log.info(f"{name} requires {', '.join(missing)}, not part of this run: its "
                     "outputs come from the published processed set")
        if published is not None:
            copied = sets.seed_from(processed_set, published)
            log.info(f"started from the published set {published.name} ({len(copied)} files)")
    fingerprint = mf.data_fingerprint(root / "raw")
    log.info(f"raw data: {fingerprint['files']} file(s), sha256 {fingerprint['sha256'][:16]}")

    progress = bool(getattr(log.stream, "isatty", lambda: False)())
    results: dict[str, NotebookResult] = {}
    total = len(plan.notebooks)
    for i, spec in enumerate(plan.notebooks, 1):
        prefix = f"[{i}/{total}] {spec.name}"
        why = _missing_inputs(spec, results, processed_set.path)
        if why:
            results[spec.name] = NotebookResult(
                name=spec.name,
                status="skipped",
                error={"type": "DependencyFailed", "message": f"skipped because {why}"},
                parameters=plan.parameters(spec.name),
                requires=spec.requires,
            )
            log.info(f"{prefix} ... skipped ({why})")
            continue
        log.info(f"{prefix} started")
        result = _run_one(plan, spec, tmp, processed_set, progress=progress,
                          kernel_output=kernel_output)
        results[spec.name] = result
        checkpoint(f"after-{spec.name}")
        line = f"{prefix} ... {result.status} ({result.duration_seconds:.1f} s)"
        if result.error:
            line += f": {result.error['message']}"
        log.info(line)

    from crm_analysis.reports.front import currency
    from crm_analysis.reports.history import earlier_runs
    from crm_analysis.reports.index import index_html
    from crm_analysis.reports.published_lists import publish_lists
    from crm_analysis.reports.trend_chart import trend_chart

    notebooks = [results[spec.name] for spec in plan.notebooks]
    ok = all(nb.status == "ok" for nb in notebooks)
    bad_input = any(nb.error and nb.error["type"] in BAD_INPUT_ERRORS for nb in notebooks)
    finished = utc_now()
    manifest = {
        "run_id": run_id,
        "started": plan.started.isoformat(),
        "finished": finished.isoformat(),
        "status": "ok" if ok else "failed",
        "exit_code": 0 if ok else (2 if bad_input else 1),
        "notebooks_dir": str(plan.notebooks_dir),
        "data_dir": str(root),
        "data": {"raw_dir": str(root / "raw"), **fingerprint},
        "processed_dir": str(processed_set.path),
        "parameters": {nb.name: nb.parameters for nb in notebooks},
        "parameter_file": str(plan.parameter_file) if plan.parameter_file.is_file() else None,
        "parameter_file_values": dict(plan.defaults),
        "overrides": dict(plan.given),
        "settings": dict(plan.settings),
        "timeout_seconds": plan.timeout,
        "kernel": KERNEL_NAME,
        "versions": mf.package_versions(),
        "git": mf.git_state(config.PROJECT_ROOT),
        "notebooks": [nb.as_json() for nb in notebooks],
    }
    published = publish_lists(processed_set.path, tmp,
                              {nb.name for nb in notebooks if nb.status == "ok"})
    earlier = earlier_runs(final.parent, str(root), run_id)
    try:
        chart = trend_chart(processed_set.path, currency=currency(manifest))
    except Exception as exc:  # a decoration: the run's results stand without it
        chart = ""
        log.info(f"warning: the front page's chart could not be drawn: "
                 f"{type(exc).__name__}: {exc}")
    manifest["lists"] = published
    (tmp / "index.html").write_text(index_html(manifest, earlier=earlier, chart=chart,
                                               lists=published), encoding="utf-8")
    (tmp / "run.json").write_text(_json_dump(manifest), encoding="utf-8")
    counts = {s: sum(nb.status == s for nb in notebooks) for s in ("ok", "failed", "skipped")}
    log.info(
        f"run {run_id} {manifest['status']}: "
        + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        + f" -> {final}"
    )
    return RunResult(
        run_id=run_id,
        run_dir=final,
        status=manifest["status"],
        exit_code=manifest["exit_code"],
        notebooks=notebooks,
        manifest=manifest,
    )
