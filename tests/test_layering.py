"""The import contracts in pyproject.toml hold, and each of them fails on a wrong import.

The wrong imports are not made in the real code: each case writes a small stand-in project
(packages named ``dangjian`` and ``config``, laid out like the real ones) into a temporary
directory and runs ``lint-imports`` there with the real contracts, so the test proves that the
contracts as written catch the mistake, not that a hand-made copy of them would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The stand-in project: every contract is kept. Each module is its import lines.
CLEAN_TREE: dict[str, str] = {
    "config/__init__.py": "",
    "config/urls.py": "import dangjian.orgs.urls\nimport dangjian.accounts.urls\n",
    "dangjian/__init__.py": "",
    "dangjian/core/__init__.py": "",
    "dangjian/core/paths.py": "",
    "dangjian/core/forms.py": "",
    "dangjian/core/models.py": "import dangjian.core.paths\n",
    "dangjian/accounts/__init__.py": "",
    "dangjian/accounts/roles.py": "",
    "dangjian/accounts/models.py": "import dangjian.accounts.roles\nimport dangjian.core.models\n",
    "dangjian/accounts/grants.py": "import dangjian.accounts.models\nimport dangjian.core.paths\n",
    "dangjian/accounts/services.py": "import dangjian.accounts.grants\n",
    "dangjian/accounts/forms.py": "import dangjian.core.forms\n",
    "dangjian/accounts/views.py": "import dangjian.accounts.forms\nimport dangjian.accounts.services\n",
    "dangjian/accounts/urls.py": "import dangjian.accounts.views\n",
    "dangjian/accounts/tests/__init__.py": "",
    "dangjian/accounts/tests/test_views.py": "import dangjian.orgs.models\n",
    "dangjian/orgs/__init__.py": "",
    "dangjian/orgs/models.py": "import dangjian.core.models\n",
    "dangjian/orgs/rules.py": "import dangjian.orgs.models\n",
    "dangjian/orgs/access.py": "import dangjian.accounts.grants\nimport dangjian.orgs.models\n",
    "dangjian/orgs/selectors.py": "import dangjian.orgs.access\n",
    "dangjian/orgs/services.py": "import dangjian.orgs.selectors\nimport dangjian.orgs.rules\n",
    "dangjian/orgs/forms.py": "import dangjian.core.forms\nimport dangjian.orgs.rules\n",
    "dangjian/orgs/views.py": "import dangjian.orgs.forms\nimport dangjian.orgs.services\n",
    "dangjian/orgs/api.py": "import dangjian.orgs.services\n",
    "dangjian/orgs/urls.py": "import dangjian.orgs.views\n",
    "dangjian/meetings/__init__.py": "",
    "dangjian/meetings/models.py": "import dangjian.orgs.models\n",
    "dangjian/meetings/services.py": "import dangjian.orgs.access\nimport dangjian.meetings.models\n",
    "dangjian/meetings/reviews/__init__.py": "",
    "dangjian/meetings/reviews/services.py": "import dangjian.meetings.models\n",
    "dangjian/meetings/reviews/views.py": "import dangjian.meetings.reviews.services\n",
    "dangjian/core/tests/__init__.py": "",
    "dangjian/core/tests/test_audit.py": "import dangjian.orgs.models\n",
}

# One wrong import per contract: (module, the line added to it, the contract it breaks).
WRONG_IMPORTS = [
    pytest.param(
        "dangjian/core/paths.py",
        "import dangjian.meetings.models",
        "core imports nothing of the project but core",
        id="core-imports-an-app",
    ),
    pytest.param(
        "dangjian/meetings/services.py",
        "import dangjian.orgs.forms",
        "no app imports another app's views, api, forms or urls",
        id="app-imports-another-apps-forms",
    ),
    pytest.param(
        "dangjian/meetings/reviews/services.py",
        "import dangjian.orgs.api",
        "no app imports another app's views, api, forms or urls",
        id="sub-package-imports-another-apps-api",
    ),
    pytest.param(
        "dangjian/accounts/grants.py",
        "import dangjian.orgs.models",
        "accounts sits below orgs (no cycle)",
        id="accounts-imports-orgs",
    ),
    pytest.param(
        "dangjian/orgs/models.py",
        "import dangjian.orgs.services",
        "layers inside each app",
        id="models-import-services",
    ),
    pytest.param(
        "dangjian/orgs/selectors.py",
        "import dangjian.orgs.views",
        "layers inside each app",
        id="selectors-import-views",
    ),
    pytest.param(
        "dangjian/meetings/reviews/services.py",
        "import dangjian.meetings.reviews.views",
        "layers inside each app",
        id="sub-package-services-import-views",
    ),
]


def _lint_imports(cwd: Path, config: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    command = str(exe) if exe.exists() else shutil.which("lint-imports")
    assert command, "lint-imports is not installed"
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(  # noqa: S603 — fixed arguments, no shell
        [command, "--config", str(config), "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _stand_in(tmp_path: Path, extra: tuple[str, str] | None = None) -> Path:
    tree = dict(CLEAN_TREE)
    if extra is not None:
        module, line = extra
        tree[module] = tree[module] + line + "\n"
    for name, text in tree.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    config = tmp_path / "pyproject.toml"
    shutil.copyfile(ROOT / "pyproject.toml", config)
    return config


Runs = dict[tuple[str, str] | None, subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """lint-imports on the clean stand-in and on each wrong one, side by side (startup dominates)."""
    cases: list[tuple[str, str] | None] = [None]
    cases += [(p.values[0], p.values[1]) for p in WRONG_IMPORTS]  # type: ignore[misc]

    # The folders are made here, one after another: the factory makes its base folder on first
    # use, and threads racing to do that each get a different one.
    places = {case: tmp_path_factory.mktemp("stand_in") for case in cases}

    def run(case: tuple[str, str] | None) -> subprocess.CompletedProcess[str]:
        where = places[case]
        return _lint_imports(where, _stand_in(where, case))

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(cases, pool.map(run, cases), strict=True))


def test_real_code_keeps_every_contract() -> None:
    result = _lint_imports(ROOT, ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_clean_stand_in_keeps_every_contract(runs: Runs) -> None:
    result = runs[None]
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("module", "line", "contract"), WRONG_IMPORTS)
def test_a_wrong_import_breaks_its_contract(
    runs: Runs, module: str, line: str, contract: str
) -> None:
    result = runs[(module, line)]
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{contract} BROKEN" in result.stdout, result.stdout
