"""The product's source, read as code: SQL only with parameters, subprocesses only with
argument lists, no pickle anywhere near the landmark cache.

SQL handed to `execute` / `query` / `executemany` / `executescript` is a string literal,
or an f-string whose interpolations are identifiers or placeholders listed below (table
names and column names from constants or from the database's own schema, `?` marks);
values always travel as parameters. Helpers that pass SQL through take literals from
every caller."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("flowlogic", "cli", "tui")
SQL_METHODS = {"execute", "executemany", "executescript", "query"}

# file -> interpolated expression -> why it is not a value
ALLOWED_INTERPOLATIONS: dict[str, dict[str, str]] = {
    "flowlogic/store/db.py": {"BUSY_TIMEOUT_MS": "int constant; PRAGMA takes no parameters"},
    "flowlogic/backup.py": {"BUSY_TIMEOUT_MS": "int constant; PRAGMA takes no parameters"},
    "flowlogic/licence/cache.py": {"TABLE": "the constant table name 'licence_cache'"},
    "flowlogic/store/assessments.py": {"table": "loop over the literal tuple of tables"},
    "flowlogic/plans/calendar.py": {
        "where": "a literal condition from each caller in the module (values are params)",
        "marks": "'?, ?' placeholders, one per status",
    },
    "flowlogic/export.py": {
        "table": "a table name read from sqlite_master",
        "condition": "built from foreign-key metadata; the profile id is the :pid parameter",
        "order": "'id' or 'rowid'",
    },
    "flowlogic/lifecycle.py": {
        "table": "a table name read from sqlite_master",
        "condition": "export.profile_row_filters (foreign-key metadata, :pid parameter)",
    },
    "flowlogic/profile_import.py": {
        "table": "a table name checked against this database's schema",
        "names": "column names checked against the table's columns, quoted",
        "marks": "'?' placeholders",
    },
}
# functions that receive SQL from their callers: (file, function) -> SQL argument position
PASS_THROUGH = {
    ("flowlogic/lifecycle.py", "_column_values"): 1,
    ("flowlogic/store/tx.py", "run_script"): 1,
}


def product_files() -> list[Path]:
    return sorted(p for root in PRODUCT for p in (ROOT / root).rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if ROOT in path.parents else path.name


def _enclosing_functions(tree: ast.AST) -> dict[ast.AST, ast.AST | None]:
    """Each node -> its innermost enclosing function (None at module level)."""
    owner: dict[ast.AST, ast.AST | None] = {}

    def visit(node: ast.AST, function: ast.AST | None) -> None:
        for child in ast.iter_child_nodes(node):
            owner[child] = function
            is_function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, child if is_function else function)

    visit(tree, None)
    return owner


def _assigned_values(function: ast.AST, name: str) -> list[ast.expr] | None:
    """Every value assigned to `name` in `function`; None when it comes from elsewhere
    (a parameter or a loop variable)."""
    values: list[ast.expr] = []
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        ) or (
            isinstance(node, ast.AugAssign | ast.AnnAssign)
            and (isinstance(node.target, ast.Name) and node.target.id == name and node.value)
        ):
            values.append(node.value)
    return values or None


def _problems(expr: ast.expr, allowed: dict[str, str], function, depth: int = 0) -> list[str]:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return []
    if isinstance(expr, ast.JoinedStr):
        return [
            f"interpolates {ast.unparse(part.value)}"
            for part in expr.values
            if isinstance(part, ast.FormattedValue) and ast.unparse(part.value) not in allowed
        ]
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add) and depth < 5:
        return _problems(expr.left, allowed, function, depth + 1) + _problems(
            expr.right, allowed, function, depth + 1
        )
    if isinstance(expr, ast.Name) and function is not None and depth < 5:
        values = _assigned_values(function, expr.id)
        if values is None:
            return [f"SQL from {expr.id}, which is not built here"]
        return [p for v in values for p in _problems(v, allowed, function, depth + 1)]
    return [f"SQL built as {type(expr).__name__}: {ast.unparse(expr)[:60]}"]


def sql_findings(files: list[Path] | None = None) -> list[str]:
    findings = []
    for path in files or product_files():
        name = relative(path)
        tree = ast.parse(path.read_text("utf-8"))
        allowed = ALLOWED_INTERPOLATIONS.get(name, {})
        owners = _enclosing_functions(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            function = owners.get(node)
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_METHODS
                and node.args
                and (function is None or (name, function.name) not in PASS_THROUGH)
            ):
                for problem in _problems(node.args[0], allowed, function):
                    findings.append(f"{name}:{node.lineno}: {problem}")
            if isinstance(node.func, ast.Name):  # callers of pass-through helpers
                for (_, helper), position in PASS_THROUGH.items():
                    if node.func.id == helper and len(node.args) > position:
                        argument = node.args[position]
                        literal = isinstance(argument, ast.Constant) and isinstance(
                            argument.value, str
                        )
                        if not literal:
                            findings.append(f"{name}:{node.lineno}: {helper} given non-literal SQL")
    return sorted(set(findings))


def test_sql_is_built_only_from_literals_and_listed_identifiers():
    assert sql_findings() == []


def test_no_sql_is_formatted_with_format_or_percent():
    keywords = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "PRAGMA ", "CREATE ")
    findings = []
    for path in product_files():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            text = None
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "format"
                and isinstance(node.func.value, ast.Constant)
            ):
                text = node.func.value.value
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
                text = node.left.value if isinstance(node.left, ast.Constant) else None
            if isinstance(text, str) and any(k in text.upper() for k in keywords):
                findings.append(f"{relative(path)}:{node.lineno}")
    assert findings == []


def test_the_scanner_catches_values_in_sql(tmp_path):
    """The scan itself can fail: SQL with a formatted or concatenated value is reported."""
    bad = tmp_path / "probe.py"
    bad.write_text(
        "def f(db, name):\n"
        "    db.execute(f\"SELECT * FROM profiles WHERE name = '{name}'\")\n"
        "    sql = 'SELECT 1 WHERE x = ' + name\n"
        "    db.query(sql)\n",
        "utf-8",
    )
    assert len(sql_findings([bad])) == 2


SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output", "getoutput"}


def subprocess_findings(files: list[Path] | None = None) -> list[str]:
    findings = []
    for path in files or product_files():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            dotted = ast.unparse(func)
            where = f"{relative(path)}:{node.lineno}"
            if dotted in ("os.system", "os.popen", "subprocess.getoutput", "os.startfile"):
                findings.append(f"{where}: {dotted}")
            for keyword in node.keywords:
                if keyword.arg == "shell" and not (
                    isinstance(keyword.value, ast.Constant) and keyword.value.value is False
                ):
                    findings.append(f"{where}: shell={ast.unparse(keyword.value)}")
            if (
                isinstance(func, ast.Attribute)
                and func.attr in SUBPROCESS_CALLS
                and ast.unparse(func.value) == "subprocess"
                and node.args
                and isinstance(node.args[0], ast.Constant | ast.JoinedStr)
            ):
                findings.append(f"{where}: command given as a string")
    return findings


def test_subprocesses_only_with_argument_lists():
    assert subprocess_findings() == []


@pytest.mark.parametrize(
    "snippet",
    [
        "import subprocess\nsubprocess.run('ls -l', shell=True)\n",
        "import os\nos.system('ls')\n",
        "import subprocess\nsubprocess.check_output(f'ls {x}')\n",
    ],
)
def test_the_subprocess_scan_can_fail(snippet, tmp_path):
    bad = tmp_path / "probe.py"
    bad.write_text(snippet, "utf-8")
    assert subprocess_findings([bad])


def test_nothing_unpickles_and_every_numpy_load_refuses_pickles():
    findings = []
    for path in product_files():
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                if any(m.split(".")[0] in ("pickle", "dill", "joblib", "shelve") for m in modules):
                    findings.append(f"{relative(path)}:{node.lineno}: imports {modules}")
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("np.load", "numpy.load"):
                flags = {k.arg: k.value for k in node.keywords}
                value = flags.get("allow_pickle")
                if not (isinstance(value, ast.Constant) and value.value is False):
                    findings.append(f"{relative(path)}:{node.lineno}: np.load without allow_pickle")
    assert findings == []
