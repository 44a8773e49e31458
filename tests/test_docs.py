"""README.md and docs/*.md as written: every link resolves, every example runs (issue 20).

The pages follow these conventions, which this module is the reference of:

- Every fenced block names its kind: ``console``, ``sh`` (or ``bash``), ``python``, ``yaml``,
  ``json`` or ``text`` (shown output, a synopsis: never run, and never a ``$ `` prompt).
- ``console``: a line starting with ``$ `` is a command and ``> `` continues it; the lines up to
  the next command are its expected output, compared with the actual output (stdout and stderr)
  after the :data:`MASKS` replace volatile values on both sides and runs of white space are
  folded into one space. A line ``...`` (or ``...`` inside a line) stands for any text. A
  command without shown output is run for its exit status only. Every command must exit 0.
- ``sh``: run with ``bash -e``; it must exit 0.
- ``mockquay serve ...`` in a console or sh block is not run by bash: the test starts that
  server itself, with ``--port 0``, and its shown output is compared with the ready line. A
  block that names ``localhost:8080`` or ``127.0.0.1:8080`` without such a line runs against a
  plain ``mockquay serve``. Every ``localhost:8080`` and ``127.0.0.1:8080`` of the block is
  rewritten to the started server's address, so examples are written with port 8080.
- ``python``: a test module (``def test_`` or a ``unittest.TestCase``), run with pytest (and the
  installed mockquay plugin) in a temporary folder of its page's own.
- ``yaml`` and ``json``: a fixture document, a fault rule, or a list of fault rules (a
  ``--faults`` file); each passes ``mockquay check-fixtures``.
- ``<!-- file: NAME -->`` right before a block: its text is written to ``NAME`` in the folder
  the page's later blocks run in. Every python test block is written there too, as
  ``test_block_<line>.py``, so a later ``pytest`` command runs the page's tests.
- ``<!-- not run: reason -->`` right before a block: the test does not run it. Reasons are few
  (:data:`MAX_NOT_RUN`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from mockquay.testing import MockQuay

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent
MAX_NOT_RUN = 4
README_LIMIT = 25_000
KINDS = {"console", "sh", "bash", "python", "yaml", "json", "text"}

#: Volatile values, replaced by a name on both sides before a console output is compared.
MASKS = {
    "iso-date": (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<date>"),
    "rfc2822-date": (r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [-+]\d{4}", "<date>"),
    "http-date": (r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", "<date>"),
    "robot-token": (r'"token": "[^"]*"', '"token": "<token>"'),
    "duration": (r"\b\d+\.\d+s\b", "<duration>"),
}

FENCE = re.compile(r"^```(\S*)\s*$")
COMMENT = re.compile(r"^<!-- (file|not run): (.+?) -->$")
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SERVE = re.compile(r"^((?:\w+=\S+\s+)*)mockquay serve\b(.*?)\s*&?\s*$")
LOCAL = re.compile(r"\b(localhost|127\.0\.0\.1):8080\b")


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    kind: str
    text: str
    file: str | None = None
    not_run: str | None = None

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def is_test_module(self) -> bool:
        return self.kind == "python" and bool(
            re.search(r"^def test_|^class \w+\(unittest\.TestCase\)", self.text, re.M)
        )


def blocks_of(page: Path) -> list[Block]:
    """The fenced blocks of ``page``, with the comment right before each."""
    lines = page.read_text().splitlines()
    found, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        block = Block(page, i + 1, opening.group(1), "\n".join(lines[i + 1 : end]) + "\n")
        comment = COMMENT.match(lines[i - 1]) if i else None
        if comment and comment.group(1) == "file":
            block.file = comment.group(2)
        elif comment:
            block.not_run = comment.group(2)
        found.append(block)
        i = end + 1
    return found


ALL_BLOCKS = [block for page in PAGES for block in blocks_of(page)]
RUN = [b for b in ALL_BLOCKS if b.not_run is None]


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    inside, found = False, set()
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            inside = not inside
        elif not inside and re.match(r"#{1,6} ", line):
            found.add(slug(line.lstrip("#")))
    return found


def links_of(page: Path) -> Iterator[str]:
    inside = False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            inside = not inside
        elif not inside:
            yield from LINK.findall(re.sub(r"`[^`]*`", "", line))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(page):
    broken = []
    for target in links_of(page):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / unquote(path)).resolve() if path else page
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(target)
        elif anchor and anchor not in anchors(resolved):
            broken.append(target)
    assert broken == []


def test_the_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text()
    sections = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    contents = {target[1:] for target in links_of(ROOT / "README.md") if target.startswith("#")}
    first_screen = "\n".join(text.splitlines()[:60])
    assert len(text.encode()) < README_LIMIT
    assert [s for s in sections if slug(s) not in contents] == []
    assert "make serve" in first_screen and "pip install" in first_screen
    assert "DESIGN.md" not in text and "../shared" not in text


def test_every_block_is_of_a_known_kind_and_few_are_not_run():
    assert [b.id for b in ALL_BLOCKS if b.kind not in KINDS] == []
    assert [b.id for b in ALL_BLOCKS if b.kind == "text" and "\n$ " in "\n" + b.text] == []
    not_run = [b for b in ALL_BLOCKS if b.not_run is not None]
    assert len(not_run) <= MAX_NOT_RUN, [(b.id, b.not_run) for b in not_run]


def fixture_documents() -> list[Block]:
    return [b for b in RUN if b.kind in ("yaml", "json")]


@pytest.mark.parametrize("block", fixture_documents(), ids=lambda b: b.id)
def test_fixture_document_passes_check_fixtures(block, tmp_path):
    document = yaml.safe_load(block.text)
    if isinstance(document, list):
        document = {"faults": document}
    elif block.kind == "json" and "match" in document:
        document = {"faults": [document]}
    path = tmp_path / "doc.yaml"
    path.write_text(yaml.safe_dump(document))
    checked = run([str(BIN / "mockquay"), "check-fixtures", str(path)], cwd=tmp_path)
    assert (checked.returncode, checked.stderr) == (0, "")


def test_every_fixture_file_passes_check_fixtures():
    files = sorted(str(p) for p in (ROOT / "fixtures").glob("*.yaml"))
    checked = run([str(BIN / "mockquay"), "check-fixtures", *files], cwd=ROOT)
    assert (checked.returncode, checked.stderr) == (0, "")


def run(args: list[str], *, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    for name in [n for n in env if n.startswith("MOCKQUAY_")]:
        del env[name]
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def prepare(block: Block, folder: Path) -> None:
    """Write the files of the page's blocks before ``block`` into ``folder``."""
    shutil.copytree(ROOT / "fixtures", folder / "fixtures")
    for earlier in blocks_of(block.page):
        if earlier.line >= block.line:
            break
        name = earlier.file or (f"test_block_{earlier.line}.py" if earlier.is_test_module else None)
        if name:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(earlier.text)


@dataclass
class Command:
    text: str
    expected: list[str]


def commands_of(block: Block) -> list[Command]:
    """The commands of a console block (``$ ``, continued by ``> ``) with their shown output;
    a sh block is its ``mockquay serve`` lines, one command each, and one command of the rest."""
    if block.kind != "console":
        lines = block.text.splitlines()
        serving = [Command(line, []) for line in lines if SERVE.match(line)]
        rest = "\n".join(line for line in lines if not SERVE.match(line))
        return [*serving, Command(rest, [])]
    commands: list[Command] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            commands.append(Command(line[2:], []))
        elif line.startswith("> ") and commands and not commands[-1].expected:
            commands[-1].text += "\n" + line[2:]
        elif commands:
            commands[-1].expected.append(line)
    return commands


class Server:
    """A ``mockquay serve`` started for one block, on a free port."""

    def __init__(self, command: str, cwd: Path) -> None:
        match = SERVE.match(command)
        assignments, args = match.group(1).split(), shlex.split(match.group(2))
        if "--port" in args:
            del args[args.index("--port") : args.index("--port") + 2]
        env = {**os.environ, **dict(a.split("=", 1) for a in assignments)}
        self.process = subprocess.Popen(
            [str(BIN / "mockquay"), "serve", *args, "--port", "0"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.ready = self.process.stdout.readline()
        assert self.ready, f"{command!r} did not start"
        self.address = json.loads(self.ready)["url"].removeprefix("http://")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def masked(text: str) -> str:
    for pattern, name in MASKS.values():
        text = re.sub(pattern, name, text)
    return " ".join(text.split())


def assert_output(command: Command, actual: str) -> None:
    """The shown output, masked, matches the actual one; ``...`` stands for any text."""
    __tracebackhide__ = True
    if not command.expected:
        return
    expected = masked("\n".join(command.expected))
    pattern = ".*?".join(re.escape(part) for part in expected.split("..."))
    if not re.fullmatch(pattern, masked(actual), re.S):
        assert masked(actual) == expected, command.text


def command_blocks() -> list[Block]:
    return [b for b in RUN if b.kind in ("console", "sh", "bash")]


MARK = "__mockquay_docs_command__"


@pytest.mark.parametrize("block", command_blocks(), ids=lambda b: b.id)
def test_command_block_runs_as_shown(block, tmp_path):
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the examples need {', '.join(missing)}, not installed")
    prepare(block, tmp_path)
    commands = commands_of(block)
    serving = [c for c in commands if SERVE.match(c.text)]
    if serving:
        server = Server(serving[0].text, tmp_path)
        commands.remove(serving[0])
    elif LOCAL.search(block.text):
        server = Server("mockquay serve", tmp_path)
    else:
        server = None
    try:
        for command in commands + serving if server else []:
            command.expected = [LOCAL.sub(server.address, line) for line in command.expected]
        if serving:
            assert_output(serving[0], server.ready)
        script = ["exec 2>&1"] if block.kind == "console" else ["set -e"]
        for n, command in enumerate(commands):
            text = LOCAL.sub(server.address, command.text) if server else command.text
            script += [text, f"printf '\\n{MARK} {n} %d\\n' $?"]
        done = run(["bash", "-c", "\n".join(script)], cwd=tmp_path)
        if block.kind != "console":
            assert done.returncode == 0, done.stdout + done.stderr
            return
        outputs = re.split(rf"\n{MARK} \d+ (\d+)\n", done.stdout)
        for n, command in enumerate(commands):
            output, status = outputs[2 * n], outputs[2 * n + 1]
            assert (command.text, status) == (command.text, "0"), output
            assert_output(command, output)
    finally:
        if server:
            server.stop()


def test_python_blocks_pass_under_pytest(tmp_path):
    """Every page's test modules, in a folder of the page's own (with its file blocks), in one
    pytest run."""
    for page in PAGES:
        folder = tmp_path / page.stem
        for block in blocks_of(page):
            name = block.file or (f"test_block_{block.line}.py" if block.is_test_module else None)
            if name and block.not_run is None:
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_text(block.text)
    done = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib"],
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_python_blocks_are_test_modules():
    fragments = [b.id for b in RUN if b.kind == "python" and not b.is_test_module]
    assert fragments == []


def test_the_worked_fixture_example_syncs():
    """docs/fixtures.md's full example: a valid document whose mirror syncs the tags its
    registry describes (its repository is in state MIRROR, which the worker requires)."""
    block = next(b for b in blocks_of(ROOT / "docs" / "fixtures.md") if "registries:" in b.text)
    with MockQuay(fixtures=[yaml.safe_load(block.text)]) as mq:
        session = mq.session(token="alice-token")
        assert session.post("/api/v1/repository/acme/app/mirror/sync-now").status_code == 204
        assert mq.wait_for_sync("acme/app")["sync_status"] == "SUCCESS"
        tags = session.get("/api/v1/repository/acme/app/tag/").json()["tags"]
    assert sorted(tag["name"] for tag in tags) == ["v3.4.0", "v3.5.0"]
