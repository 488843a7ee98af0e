"""deploy/jupyterhub/cards.py: printable login cards for a class on the hub (no engine, no hub)."""

from __future__ import annotations

import importlib.util
import re
import stat
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("dlhub_cards", ROOT / "deploy" / "jupyterhub" / "cards.py")
cards = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = cards  # dataclasses look their module up
_spec.loader.exec_module(cards)

ADDRESS = "https://hub.example.org/"


def _write(tmp_path: Path, text: str) -> Path:
    users = tmp_path / "users.csv"
    users.write_text(text)
    return users


def _run(tmp_path: Path, text: str, capsys) -> tuple[dict, str]:
    users = _write(tmp_path, text)
    assert cards.main([str(users), str(tmp_path / "cards.html"), "--address", ADDRESS]) == 0
    said = capsys.readouterr()
    passwords = dict(line.split(",", 1) for line in (tmp_path / "cards.learners.csv").read_text().splitlines()[1:])
    return passwords, said.out + said.err


def test_one_card_per_learner_in_html_text_and_hub_file(tmp_path, capsys):
    names = [f"learner{i:02d}" for i in range(30)]
    passwords, _ = _run(tmp_path, "username,name\n" + "".join(f"{n},Learner {n}\n" for n in names), capsys)
    html = (tmp_path / "cards.html").read_text()
    text = (tmp_path / "cards.txt").read_text()
    assert list(passwords) == names
    assert html.count('<div class="card">') == 30
    assert html.count('<section class="page">') == 4  # 8 to an A4 page
    for name, password in passwords.items():
        assert html.count(f'<dd class="username">{name}</dd>') == 1
        assert html.count(password) == 1 and text.count(password) == 1
    assert text.count("-------- cut here --------") == 29


def test_passwords_are_unique_long_and_from_secrets(tmp_path, capsys, monkeypatch):
    drawn = []
    real_choice = cards.secrets.choice
    monkeypatch.setattr(cards.secrets, "choice", lambda seq: drawn.append(1) or real_choice(seq))
    passwords, _ = _run(tmp_path, "\n".join(f"u{i}" for i in range(200)), capsys)
    values = list(passwords.values())
    assert len(set(values)) == len(values) == 200
    assert len(drawn) == 200 * cards.PASSWORD_CHARS
    for password in values:
        assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password), password
        assert not set(password) & set("ilo01")  # no look-alikes on a printed card
    assert cards.PASSWORD_CHARS * __import__("math").log2(len(cards.ALPHABET)) > 55


def test_no_password_on_stdout_or_stderr_and_files_are_private(tmp_path, capsys):
    passwords, said = _run(tmp_path, "alice\nbob\n", capsys)
    assert "wrote 2 login cards" in said
    for password in passwords.values():
        assert password not in said
    for name in ("cards.html", "cards.txt", "cards.learners.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    assert "password=<hidden>" in repr(cards.make_cards([cards.Learner("alice")])[0])


def test_names_are_escaped_in_the_html(tmp_path, capsys):
    evil = '<script>alert("x")</script> & O\'Brien'
    _run(tmp_path, f'alice,"{evil.replace(chr(34), chr(34) * 2)}"\n', capsys)
    html = (tmp_path / "cards.html").read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; O&#x27;Brien" in html
    assert evil in (tmp_path / "cards.txt").read_text()  # the text twin is plain text


def test_an_address_is_escaped_too(tmp_path):
    users = _write(tmp_path, "alice\n")
    cards.write(users, tmp_path / "cards.html", 'https://hub.example.org/?a=1&b="2"')
    html = (tmp_path / "cards.html").read_text()
    assert "?a=1&amp;b=&quot;2&quot;" in html and 'b="2"' not in html


@pytest.mark.parametrize("text, words", [
    ("Alice\n", "'Alice' is not a user name"),
    ("al ice\n", "'al ice' is not a user name"),
    ("a/b\n", "'a/b' is not a user name"),
    ("alice\nbob\nalice\n", "'alice' again (first on line 1)"),
    ("# nobody\n\n", "lists no learner"),
])
def test_bad_input_is_refused_with_every_line_named(tmp_path, capsys, text, words):
    users = _write(tmp_path, text)
    assert cards.main([str(users), str(tmp_path / "cards.html"), "--address", ADDRESS]) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "cards.html").exists()


def test_existing_cards_are_not_overwritten_without_force(tmp_path, capsys):
    first, _ = _run(tmp_path, "alice\n", capsys)
    users = tmp_path / "users.csv"
    assert cards.main([str(users), str(tmp_path / "cards.html"), "--address", ADDRESS]) == 2
    assert "exists" in capsys.readouterr().err
    assert cards.main([str(users), str(tmp_path / "cards.html"), "--address", ADDRESS, "--force"]) == 0
    capsys.readouterr()
    second = dict(line.split(",", 1) for line in (tmp_path / "cards.learners.csv").read_text().splitlines()[1:])
    assert second["alice"] != first["alice"]


def test_header_comments_and_blank_lines_are_skipped(tmp_path, capsys):
    passwords, _ = _run(tmp_path, "username,name\n# the morning group\n\nalice,Alice\n  bob , Bob B \n", capsys)
    assert list(passwords) == ["alice", "bob"]
    assert '<p class="who">Bob B</p>' in (tmp_path / "cards.html").read_text()


def test_the_print_css_fits_a4(tmp_path):
    css = cards.CSS
    assert "@page { size: A4" in css and "break-inside: avoid" in css and "@media print" in css
    assert cards.PER_PAGE == 8
