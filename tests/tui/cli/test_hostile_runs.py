"""The issue's crafted runs, through the command line: ids and image paths that lead out of the run, escape
sequences in prompts and captions, prompts of nothing visible. Nothing is read or written outside the run or
the chosen output folder, and nothing reaches the terminal raw."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from tests.hostile import ESCAPES, FILE_KINDS, SECRET, Sandbox, replace_with, watching
from tui.cli.main import main


@pytest.fixture
def sandbox(tmp_path, template_run) -> Sandbox:
    return Sandbox.make(tmp_path, template_run)


def edit_json(path: Path, **changes) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def edit_turn(journal: Path, line: int, **changes) -> None:
    lines = journal.read_text().splitlines()
    lines[line] = json.dumps({**json.loads(lines[line]), **changes})
    journal.write_text("\n".join(lines) + "\n")


def run_cli(sandbox: Sandbox, capsys, *arguments: str) -> tuple[int, str]:
    """Run a command, watching every file it touches; what it printed, which must be clean."""
    before = sandbox.outside_state()
    with watching() as watch:
        code = main(list(arguments))
    output = capsys.readouterr()
    assert watch.violations(sandbox) == []
    assert sandbox.outside_state() == before
    assert "\x1b" not in output.out + output.err and SECRET not in output.out + output.err
    return code, output.out + output.err


def files_under(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in folder.rglob("*") if path.is_file())


# Hostile names lead into the sandbox's "outside" folder, never to real system paths: run against code with
# the hole, these tests must not write anywhere but a temporary folder.
@pytest.mark.parametrize("hostile_id", ["../../outside/job", "../../outside/../outside/job", "{outside}/job"])
def test_export_refuses_an_id_that_leads_out_of_the_run(sandbox, capsys, hostile_id):
    conversation = sandbox.conversations()[0]
    hostile_id = hostile_id.format(outside=sandbox.outside)
    edit_json(conversation / "conversation.json", id=hostile_id)
    code, output = run_cli(sandbox, capsys, "export", "fiftyone", str(sandbox.run), "--out", str(sandbox.out))
    assert code == 1
    assert f"{conversation / 'conversation.json'}: id: {hostile_id!r} is not a plain name; refused" in output
    samples = json.loads((sandbox.out / "samples.json").read_text())["samples"]
    assert len(samples) == 3, "the other conversation is exported"
    assert not list(sandbox.outside.glob("job*"))


@pytest.mark.parametrize("image", ["../../../outside/secret.png", "{outside}/secret.png", "/etc/passwd", "."])
def test_export_never_copies_a_file_a_journal_points_out_of_the_run(sandbox, capsys, image):
    conversation = sandbox.conversations()[0]
    edit_turn(conversation / "journal.jsonl", 1, image=image.format(outside=sandbox.outside))
    code, output = run_cli(sandbox, capsys, "export", "fiftyone", str(sandbox.run), "--out", str(sandbox.out))
    assert code == 1 and "refused" in output and f"{conversation / 'journal.jsonl'}:2" in output
    copied = files_under(sandbox.out)
    assert SECRET.encode() not in copied and b"root:" not in copied


@pytest.mark.parametrize("damage", ["deleted", "a folder"])
def test_export_reports_an_image_it_cannot_copy_and_goes_on(sandbox, capsys, damage):
    image = sandbox.conversations()[0] / "images" / "turn-02.png"
    image.unlink()
    if damage == "a folder":
        image.mkdir()
    code, output = run_cli(sandbox, capsys, "export", "fiftyone", str(sandbox.run), "--out", str(sandbox.out))
    assert code == 1 and f"not exported: {image}: " in output
    assert len(json.loads((sandbox.out / "samples.json").read_text())["samples"]) == 5


def test_export_never_follows_a_link_out_of_the_run(sandbox, capsys):
    image = sandbox.conversations()[0] / "images" / "turn-02.png"
    image.unlink()
    image.symlink_to(sandbox.outside / "secret.png")
    (sandbox.run / "fiftyone").symlink_to(sandbox.outside)
    code, output = run_cli(sandbox, capsys, "export", "fiftyone", str(sandbox.run))
    assert code == 2 and "fiftyone' leads outside" in output and len(output.strip().splitlines()) == 1
    code, output = run_cli(sandbox, capsys, "export", "fiftyone", str(sandbox.run), "--out", str(sandbox.out))
    assert code == 1 and "images/turn-02.png' leads outside" in output
    assert SECRET.encode() not in files_under(sandbox.out)


@pytest.mark.parametrize("field", ["t2i", "i2t", "id", "prompt_id"])
def test_analyze_refuses_names_that_lead_out_of_the_run(sandbox, capsys, field):
    conversation = sandbox.conversations()[0]
    edit_json(conversation / "conversation.json", **{field: "../../../outside/strip"})
    code, output = run_cli(sandbox, capsys, "analyze", str(sandbox.run))
    what = "a model id" if field in ("t2i", "i2t") else "a plain name"  # model ids may hold "/", never ".."
    assert code == 1 and f"{field}: '../../../outside/strip' is not {what}; refused" in output
    assert len(list((sandbox.run / "analysis" / "filmstrips").iterdir())) == 1
    assert not list(sandbox.root.rglob("*strip*.png"))[1:], "one filmstrip, inside the run"


def test_analyze_never_writes_through_a_link_out_of_the_run(sandbox, capsys):
    (sandbox.run / "analysis").symlink_to(sandbox.outside)
    code, output = run_cli(sandbox, capsys, "analyze", str(sandbox.run))
    assert code == 2 and "leads outside" in output


@pytest.mark.parametrize("escape", ESCAPES)
def test_show_puts_no_escape_sequence_on_the_terminal(sandbox, capsys, escape):
    conversation = sandbox.conversations()[0]
    edit_json(conversation / "conversation.json", prompt=f"A red{escape} apple.", detail=escape)
    edit_turn(conversation / "journal.jsonl", 0, caption=f"pwned{escape}", text=escape)
    edit_json(sandbox.run / "run.json", created=escape)
    broken = sandbox.run / "conversations" / f"x{escape}"
    broken.mkdir()
    code, output = run_cli(sandbox, capsys, "show", str(sandbox.run))
    assert code == 1 and "A red" in output and "pwned" in output
    assert "not a plain name" in output, "the folder with an escape in its name is reported, its name escaped"


def test_markup_in_a_run_is_shown_as_written(sandbox, capsys):
    conversation = sandbox.conversations()[0]
    edit_json(conversation / "conversation.json", prompt="[/] [bold]not bold[/bold] [link=file:///etc]x[/link]")
    edit_turn(conversation / "journal.jsonl", 0, caption="[/red]")
    code, output = run_cli(sandbox, capsys, "show", str(sandbox.run))
    assert code == 0 and "[/] [bold]not bold[/bold]" in output and "[/red]" in output


def test_play_cleans_a_prompt_and_prints_no_escape(tmp_path, capsys):
    code = main(["play", "--turns", "1", "--prompt", "A red\x1b]0;pwned\x07 apple.\x1b[2J", "--out", str(tmp_path)])
    output = capsys.readouterr().out
    assert code == 0 and "A red]0;pwned apple.[2J" in output and "\x1b" not in output


@pytest.mark.parametrize("prompt", ["\x01\x02", "\u200b\u200e\u202e"])
def test_play_refuses_a_prompt_of_nothing_visible(tmp_path, capsys, prompt):
    assert main(["play", "--prompt", prompt, "--out", str(tmp_path / "run")]) == 2
    assert "the prompt is empty" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def finished_within(seconds: float, *arguments: str) -> int:
    """``main(arguments)``'s exit code; the test fails, instead of hanging with it, when it takes longer."""
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(main(list(arguments))), daemon=True)
    worker.start()
    worker.join(seconds)
    assert result, f"{' '.join(arguments[:2])} still running after {seconds} s"
    return result[0]


# A pipe blocks its reader forever, a device never ends, a hard link holds a file from outside the run (the
# secrets), a sparse file is 20 GB of nothing: each is left out with one line naming it, the rest goes on.
@pytest.mark.parametrize("kind", FILE_KINDS)
@pytest.mark.parametrize(
    ("target", "outside_file"),
    [
        ("conversation.json", "conversation.json"),
        ("journal.jsonl", "journal.jsonl"),
        ("images/turn-02.png", "secret.png"),
    ],
)
def test_every_command_leaves_out_a_file_that_is_not_a_plain_one(sandbox, capsys, kind, target, outside_file):
    path = sandbox.conversations()[0] / target
    replace_with(path, kind, sandbox.outside / outside_file)
    before = sandbox.outside_state()
    commands = {
        "show": ["show", str(sandbox.run)],
        "analyze": ["analyze", "--no-pictures", str(sandbox.run)],
        "fiftyone": ["export", "fiftyone", str(sandbox.run), "--out", str(sandbox.out / "fo")],
        "gif": ["export", "gif", str(sandbox.run), "--out", str(sandbox.out / "gif")],
    }
    # Which commands read the file: an image is copied by the dataset export, drawn as missing on a slide.
    # The slides load a run as the dataset export does: made (a second each) for one kind of data file only.
    reporting = {"fiftyone"} if target.startswith("images") else {"show", "analyze", "fiftyone", "gif"}
    for name, command in commands.items():
        if name == "gif" and not target.startswith("images") and kind != "fifo":
            continue
        code = finished_within(20, *command)
        output = capsys.readouterr()
        assert "Traceback" not in output.err and SECRET not in output.out + output.err
        if name in reporting:
            assert code == 1 and output.err.count(f"{path}: ") == 1, output.err
        else:
            assert code == 0, output.err
    assert SECRET.encode() not in files_under(sandbox.out)
    assert sandbox.outside_state() == before
