"""Printable login cards for a class on the hub: one card per learner (address, user name, first password).

    python deploy/jupyterhub/cards.py USERS.csv cards.html --address https://hub.example.org/

USERS.csv lists the learners, one a line: a user name and, if you like, the name to print on the card
(``alice,Alice Martin``). A first line ``username,name`` is a header; blank lines and lines starting with
``#`` are skipped. User names are what learners type at the login page: lower-case letters, digits, ``.``,
``_`` and ``-``, starting with a letter or a digit, at most 32 characters.

It writes three files, readable by you alone (mode 0600), and refuses to overwrite any (``--force`` does):

    cards.html           the cards to print: 8 to an A4 page, cut along the dashed lines
    cards.txt            the same cards as plain text
    cards.learners.csv   ``username,password`` for the hub: DLHUB_LEARNERS=cards.learners.csv
                         (jupyterhub_config.py registers each learner with that first password)

Passwords come from :mod:`secrets` (12 characters of an alphabet without look-alikes, about 59 bits), one
per learner, all different. They are written into those three files only: never printed, never logged.
Standard library only, so it runs with any Python 3.9+ (the hub's venv, the project's, the system's).
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import os
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

#: Lower-case letters and digits a reader cannot mistake for another (no i, l, o, 0, 1).
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
#: Characters drawn per password (shown in groups of four: ``abcd-efgh-jkmn``).
PASSWORD_CHARS = 12
#: A user name the hub, its authenticator and DockerSpawner's container names all take as it is.
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
#: Cards on one printed A4 page (two columns of four).
PER_PAGE = 8


class CardsError(Exception):
    """A problem with the input or the output files, said so that the instructor can fix it."""


@dataclass(frozen=True)
class Learner:
    username: str
    name: str = ""


@dataclass(frozen=True)
class Card:
    learner: Learner
    password: str

    def __repr__(self) -> str:  # never show the password in a traceback or a log
        return f"Card(learner={self.learner!r}, password=<hidden>)"


def new_password() -> str:
    """A fresh password from :mod:`secrets`: ``PASSWORD_CHARS`` characters of ``ALPHABET``, in groups of four."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(PASSWORD_CHARS))
    return "-".join(chars[i : i + 4] for i in range(0, PASSWORD_CHARS, 4))


def read_learners(text: str) -> list[Learner]:
    """The learners in a USERS.csv's text; a CardsError names every bad line at once."""
    learners: list[Learner] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and cells[0].lower() in ("username", "user", "user name", "login"):
            continue
        username, name = cells[0], ",".join(c for c in cells[1:] if c)
        if not USERNAME.match(username):
            problems.append(f"line {number}: {username!r} is not a user name the hub takes as it is "
                            "(lower-case letters, digits, . _ -; starting with a letter or digit; at most 32)")
        elif username in seen:
            problems.append(f"line {number}: {username!r} again (first on line {seen[username]})")
        else:
            seen[username] = number
            learners.append(Learner(username, name))
    if problems:
        raise CardsError("USERS.csv: " + "; ".join(problems))
    if not learners:
        raise CardsError("USERS.csv lists no learner: write one user name a line (and, if you like, ',' and their name)")
    return learners


def make_cards(learners: list[Learner]) -> list[Card]:
    """One card per learner, each with a password of its own (all different)."""
    used: set[str] = set()
    cards = []
    for learner in learners:
        password = new_password()
        while password in used:  # about 1 in 10^17 for a class of 30; cheap to rule out
            password = new_password()
        used.add(password)
        cards.append(Card(learner, password))
    return cards


def _change_url(address: str) -> str:
    return address.rstrip("/") + "/hub/auth/change-password"


CSS = """
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 0; color: #000; }
.page { display: grid; grid-template-columns: 1fr 1fr; grid-auto-rows: 68mm; width: 190mm; }
.page + .page { break-before: page; page-break-before: always; }
.card { border: 1px dashed #777; padding: 6mm 7mm; overflow: hidden; break-inside: avoid; page-break-inside: avoid; }
.card h2 { font-size: 11pt; margin: 0 0 1mm; }
.card .who { font-size: 10pt; margin: 0 0 3mm; min-height: 5mm; }
.card dl { display: grid; grid-template-columns: auto 1fr; gap: 1.5mm 3mm; margin: 0; font-size: 10pt; }
.card dt { color: #444; }
.card dd { margin: 0; font-family: "DejaVu Sans Mono", "Courier New", monospace; font-size: 11pt; word-break: break-all; }
.card dd.password { font-size: 13pt; font-weight: bold; letter-spacing: 0.5pt; }
.card .after { font-size: 8pt; color: #444; margin: 3mm 0 0; }
.help { font-size: 10pt; margin: 4mm; width: 182mm; }
@media print { .help { display: none; } }
"""


def html_page(cards: list[Card], address: str) -> str:
    """The cards as one HTML page: ``PER_PAGE`` to an A4 sheet; every text escaped."""
    def esc(text: str) -> str:
        return html.escape(text, quote=True)

    pages = []
    for start in range(0, len(cards), PER_PAGE):
        items = []
        for card in cards[start : start + PER_PAGE]:
            items.append(
                '<div class="card">'
                "<h2>Your login for the Docker course</h2>"
                f'<p class="who">{esc(card.learner.name)}</p>'
                "<dl>"
                f"<dt>address</dt><dd>{esc(address)}</dd>"
                f'<dt>user name</dt><dd class="username">{esc(card.learner.username)}</dd>'
                f'<dt>password</dt><dd class="password">{esc(card.password)}</dd>'
                "</dl>"
                f'<p class="after">A first password: change it once logged in, at {esc(_change_url(address))}</p>'
                "</div>"
            )
        pages.append('<section class="page">' + "".join(items) + "</section>")
    help_text = (f'<p class="help">{len(cards)} cards, {PER_PAGE} to an A4 page ({len(pages)} pages): print at 100 % '
                 "(no fit-to-page), cut along the dashed lines. This line does not print.</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Login cards</title>\n"
            f"<style>{CSS}</style>\n</head>\n<body>\n{help_text}\n" + "\n".join(pages) + "\n</body>\n</html>\n")


def text_page(cards: list[Card], address: str) -> str:
    """The same cards as plain text, one block each, separated by a cutting line."""
    blocks = []
    for card in cards:
        lines = ["Your login for the Docker course" + (f": {card.learner.name}" if card.learner.name else "")]
        lines += [f"  address:    {address}", f"  user name:  {card.learner.username}", f"  password:   {card.password}",
                  f"  A first password: change it once logged in, at {_change_url(address)}"]
        blocks.append("\n".join(lines))
    return ("\n" + "-" * 8 + " cut here " + "-" * 8 + "\n\n").join(blocks) + "\n"


def hub_csv(cards: list[Card]) -> str:
    """``username,password`` for DLHUB_LEARNERS (read by jupyterhub_config.py)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["username", "password"])
    for card in cards:
        writer.writerow([card.learner.username, card.password])
    return out.getvalue()


def outputs(out_html: Path) -> dict[str, Path]:
    """The three files written for OUT.html."""
    stem = out_html.with_suffix("")
    return {"html": out_html, "text": stem.with_suffix(".txt"), "hub": stem.with_suffix(".learners.csv")}


def _write_private(path: Path, text: str, force: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise CardsError(f"{path} exists: its passwords may be in use already. Pick another OUT, or add --force") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)


def write(users_csv: Path, out_html: Path, address: str, force: bool = False) -> tuple[list[Card], dict[str, Path]]:
    """Read USERS.csv, make the cards, write the three files; returns the cards and the files."""
    if not out_html.name.endswith(".html"):
        raise CardsError(f"OUT must end in .html, not {out_html.name}")
    if not re.match(r"^https?://[^\s/]+", address):
        raise CardsError(f"--address must be the hub's address as learners type it, e.g. https://hub.example.org/, not {address!r}")
    try:
        text = users_csv.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CardsError(f"cannot read {users_csv}: {exc.strerror or exc}") from None
    learners = read_learners(text)
    files = outputs(out_html)
    if users_csv.resolve() in {p.resolve() for p in files.values()}:
        raise CardsError(f"{users_csv} would be overwritten by the cards: name OUT otherwise")
    cards = make_cards(learners)
    for kind, render in (("html", lambda: html_page(cards, address)), ("text", lambda: text_page(cards, address)),
                         ("hub", lambda: hub_csv(cards))):
        _write_private(files[kind], render(), force)
    return cards, files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cards.py", description="Printable login cards for a class on the hub, "
                                     "and the learners file the hub registers them from.")
    parser.add_argument("users", type=Path, help="USERS.csv: a user name a line, optionally ',' and the name to print")
    parser.add_argument("out", type=Path, help="OUT.html; OUT.txt and OUT.learners.csv are written beside it")
    parser.add_argument("--address", required=True, help="the hub's address as learners type it (https://hub.example.org/)")
    parser.add_argument("--force", action="store_true", help="overwrite the three files if they exist")
    args = parser.parse_args(argv)
    try:
        cards, files = write(args.users, args.out, args.address, force=args.force)
    except CardsError as exc:
        print(f"cards: {exc}", file=sys.stderr)
        return 2
    pages = -(-len(cards) // PER_PAGE)
    print(f"wrote {len(cards)} login cards (one per learner, each with a password of its own; mode 0600):")
    print(f"  {files['html']}  to print: {pages} A4 page(s), {PER_PAGE} cards a page, at 100 %")
    print(f"  {files['text']}  the same as text")
    print(f"  {files['hub']}  for the hub: DLHUB_LEARNERS={files['hub']} (delete it once the hub has started with it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
