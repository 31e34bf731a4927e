"""The `crm-analysis` command: generate, validate, report; exit codes and messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from crm_analysis.cli import main
from crm_analysis.config import PROJECT_ROOT


def test_generate_then_validate(tmp_path, capsys):
    out = tmp_path / "raw"
    assert main(["generate", "--out", str(out), "--customers", "300", "--seed", "5"]) == 0
    assert (out / "orders.csv").is_file() and (out / "_truth" / "dirt_log.parquet").is_file()
    assert main(["validate", str(out)]) == 0  # the folder's mapping.yaml is used
    printed = capsys.readouterr().out
    assert "orders" in printed and "conforms to the data contract" in printed


def test_generate_a_preset_shape(tmp_path, capsys):
    out = tmp_path / "raw"
    assert main(["generate", "--preset", "orders_only", "--out", str(out), "--seed", "3"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["orders.csv"]  # no truth, like real data
    orders = pd.read_csv(out / "orders.csv")
    assert list(orders.columns) == ["order_id", "customer_id", "order_date", "amount"]
    assert main(["generate", "--preset", "orders_only", "--out", str(out)]) == 2  # not empty
    assert main(["validate", str(out)]) == 0


def test_generate_refuses_a_folder_with_data(tmp_path, capsys):
    out = tmp_path / "raw"
    out.mkdir()
    (out / "orders.csv").write_text("x\n")
    assert main(["generate", "--out", str(out), "--customers", "50"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (out / "orders.csv").read_text() == "x\n"


def test_validate_bad_file_exits_2_naming_file_column_and_rows(tmp_path, capsys):
    pd.DataFrame(
        {"order_id": ["1", "2", "3"], "customer_id": ["a", "b", "c"],
         "order_date": ["2024-01-01", "yesterday", "2024-01-03"], "amount": ["1", "2", "x"]}
    ).to_csv(tmp_path / "orders.csv", index=False)
    assert main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "orders.csv" in err and "order_date" in err and "yesterday" in err
    assert "amount" in err and "'x'" in err
    assert "Traceback" not in err


def test_validate_misspelled_column_suggests_the_name(tmp_path, capsys):
    pd.DataFrame(
        {"order_id": ["1"], "custmer_id": ["a"], "order_date": ["2024-01-01"], "amount": [1.0]}
    ).to_csv(tmp_path / "orders.csv", index=False)
    assert main(["validate", str(tmp_path)]) == 2
    assert "custmer_id" in capsys.readouterr().err


def test_report_with_empty_explicit_data_root_exits_2(tmp_path, capsys):
    (tmp_path / "raw").mkdir()
    code = main(["report", "--data-dir", str(tmp_path), "--reports-dir", str(tmp_path / "r")])
    assert code == 2
    assert "no data" in capsys.readouterr().err


def test_validate_says_what_a_lone_visit_log_was_read_as(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    pd.DataFrame({"cust": ["a", "b"], "date": ["2024-01-01", "2024-01-03"]}).to_csv(
        raw / "store_visits.csv", index=False)
    assert main(["validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "orders: store_visits.csv, the folder's only data file, read as the orders table" in out
    assert "customer_id <- 'cust', order_date <- 'date'" in out
    assert "orders: no amounts: read as a log of visits or bookings" in out


def test_report_on_broken_data_exits_2_and_the_page_says_why(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    pd.DataFrame({"customer_id": ["a"], "amount": [25.0]}).to_csv(raw / "orders.csv",
                                                                   index=False)
    proc = subprocess.run(
        [sys.executable, "-m", "crm_analysis.cli", "report", "--data-dir", str(tmp_path),
         "--reports-dir", str(tmp_path / "r"), "--run-id", "bad",
         "--notebooks", "01_data_cleaning"],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    page = (tmp_path / "r" / "bad" / "01_data_cleaning.html").read_text()
    assert "order_date" in page and "orders.csv" in page


@pytest.mark.parametrize("argv", [["--version"], ["report", "--help"], ["generate", "--help"]])
def test_help_and_version(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "crm-analysis"
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and "crm-analysis" in proc.stdout
