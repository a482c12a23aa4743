"""The repository's own promises: two README commands first, docs for every command, compose file, CI."""

from __future__ import annotations

import inspect
import re
import subprocess
from pathlib import Path

import yaml

from dbkit.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_starts_with_the_two_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make lab", "make test"]
    assert README.index("```sh") < README.index("## ")


def test_makefile_targets_exist_and_ci_runs_the_test_command():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lab: install", makefile, re.M) and re.search(r"^test: install", makefile, re.M)
    assert "dbkit lab" in makefile
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_ci_workflow_runs_the_readme_test_command_on_three_systems():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    (job,) = workflow["jobs"].values()
    assert sorted(job["strategy"]["matrix"]["os"]) == ["macos-latest", "ubuntu-latest", "windows-latest"]
    assert job["strategy"]["fail-fast"] is False  # one system's failure must not hide another's
    runs = [step for step in job["steps"] if step.get("run") == ".ci/run"]
    assert len(runs) == 1 and runs[0]["env"]["CI"] == "true"
    assert job["timeout-minutes"] <= 90


def test_makefile_finds_the_venv_on_windows_and_posix():
    def planned(*overrides: str) -> str:  # make's dry run: the commands `make test` would run, nothing run
        done = subprocess.run(
            ["make", "-n", "-W", ".venv/.installed", "test", *overrides], cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert ".venv/bin/ruff check" in planned() and "Scripts" not in planned()
    windows = planned("OS=Windows_NT")
    assert ".venv/Scripts/ruff check" in windows and ".venv/Scripts/python -m pytest" in windows and "/bin/" not in windows


def test_every_command_is_documented():
    for command in app.commands:
        assert f"`dbkit {command}" in README, f"README's CLI reference lacks `dbkit {command}`"


def test_compose_file_matches_the_readme():
    compose = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
    service = compose["services"]["postgres"]
    assert re.fullmatch(r"pgvector/pgvector:0\.8\.\d+-pg18(-\w+)?", service["image"])
    assert service["healthcheck"]["test"][0] == "CMD-SHELL" and "pg_isready" in service["healthcheck"]["test"][1]
    volume, mount = service["volumes"][0].split(":")
    assert volume in compose["volumes"] and mount == "/var/lib/postgresql"
    host_port = service["ports"][0].split(":")[-2]
    env = service["environment"]
    url = f"postgresql://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@127.0.0.1:{host_port}/{env['POSTGRES_DB']}"
    assert f"DATABASE_URL={url}" in README


def test_gitignore_keeps_generated_things_out():
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in (".venv/", ".tools/", "build/", ".ipynb_checkpoints/"):
        assert entry in ignored


def _cases(test, argnames: str | None = None) -> int:
    """How many cases pytest makes of a test: the product of its parametrize lists (or the one for `argnames`)."""
    count = 1
    for mark in getattr(test, "pytestmark", []):
        if mark.name == "parametrize" and argnames in (None, mark.args[0]):
            count *= len(mark.args[1])
    return count


def _workers(test) -> int:
    """How many concurrent workers a test starts: its `for _ in range(N)`."""
    return int(re.search(r"for _ in range\((\d+)\)", inspect.getsource(test)).group(1))


def test_reliability_figures_are_the_suites_own_counts(tmp_path):
    import test_append_only
    import test_cli
    import test_load
    import test_migrate
    import test_readonly
    import test_rls
    import test_seed
    import test_server

    section = README[README.index("<!-- reliability:start -->") : README.index("<!-- reliability:end -->")]
    figures = [int(n) for n in re.findall(r"\*\*(\d+)\*\*", section)]
    versions = test_append_only.test_memory_versions_are_append_only_for_the_application_roles
    assert figures == [
        len(test_cli._bad_inputs(tmp_path, "postgresql://kit@127.0.0.1:1/db")),
        len(test_readonly.MULTI) + len(test_readonly.NOT_READS) + len(test_readonly.REFUSED_BY_THE_SERVER),
        len(test_readonly.MULTI),
        len(test_readonly.NOT_READS),
        len(test_readonly.REFUSED_BY_THE_SERVER),
        _cases(test_readonly.test_settings_that_are_walls_cannot_be_changed),
        len(test_append_only.POSTGRES_ATTACKS),
        _cases(versions) // _cases(versions, "role"),
        _cases(versions, "role"),
        len(test_append_only.SQLITE_ATTACKS),
        len(test_rls.TABLES),
        _cases(test_rls.test_no_role_switch_leads_out_of_row_level_security),
        _cases(test_rls.test_a_tenant_cannot_become_the_app_or_anyone_else),
        _cases(test_migrate.test_transaction_control_is_refused_before_anything_runs),
        _cases(test_migrate.test_files_that_look_like_migrations_are_reported_not_skipped),
        _workers(test_migrate.test_four_concurrent_runners_apply_each_file_once),
        _cases(test_seed.test_a_failing_seed_leaves_every_schema_as_it_was),
        _workers(test_seed.test_concurrent_seeds_of_one_schema_both_finish_with_the_same_rows),
        test_load.KIT_READERS + test_load.OWN_READERS,
        test_load.KIT_READERS,
        test_load.OWN_READERS,
        test_load.RESEEDS,
        _cases(test_server.test_a_bad_port_is_refused_before_anything_is_stopped),
    ]
