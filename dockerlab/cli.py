"""The ``dockerlab`` command: doctor, images, sweep, progress, and an instructor's prepare and grade.

    dockerlab doctor                 check the engine, plugins, disk and images
    dockerlab images list|ensure     show or make the course images (pull, else offline stand-ins; --mirror ADDRESS)
    dockerlab images serve           an instructor's class mirror: a registry holding the course images (--stop)
    dockerlab images save FILE       write every course image into one file
    dockerlab images load FILE       load such a file on an offline machine
    dockerlab sweep                  remove what dead sessions (killed kernels) left behind
    dockerlab progress show          which exercises pass, per lesson (--exercises: each one)
    dockerlab progress export FILE   write that progress to FILE (.json, or .csv) for an instructor
    dockerlab prepare                an instructor's run before a workshop (images, bundle, notebooks, checklist)
    dockerlab grade DIR              run each learner's notebooks in learner mode; report, gradebook, feedback pages
    dockerlab class watch FOLDER     during a workshop: a page of every learner's progress, stuck ones first (--text: once)
"""

from __future__ import annotations

import argparse
import sys

from dockerlab import errors


def _doctor(args) -> int:
    from dockerlab.services import doctor

    report = doctor.run_checks(quota=True)
    print(report.as_text())
    # A PROBLEM fails the command (`dockerlab doctor && make lab`); notes fail it only with --strict.
    if not report.ok:
        return 1
    return 1 if args.strict and any(f.ok is None for f in report.findings) else 0


def _images(args) -> int:
    from dockerlab.services import images

    if args.action == "list":
        for item in images.status():
            print(item)
        return 0
    if args.action == "serve":
        return _serve(args)
    if args.action == "ensure":
        if args.offline and args.mirror:
            raise errors.DockerlabError("--offline and --mirror say opposite things.",
                                        "Give one: --mirror ADDRESS pulls from the class mirror, --offline builds stand-ins.")
        final = images.ensure(offline=True if args.offline else None, mirror=args.mirror)
        missing = [s.spec.name for s in final if s.state == "missing"]
        standins = [s for s in final if s.state == "standin"]
        if standins:
            print(f"note: {len(standins)} of {len(final)} images are local stand-ins (labelled org.dockerlab.standin=true)")
        return 1 if missing else 0
    if not args.file:
        raise errors.DockerlabError(f"`dockerlab images {args.action}` needs a FILE.", f"dockerlab images {args.action} course-images.tar")
    if args.action == "save":
        images.save(args.file)
    else:
        images.load(args.file)
    return 0


def _serve(args) -> int:
    import signal
    import time

    from dockerlab.services.images import serve

    if args.stop:
        if not serve.stop():
            print("no class mirror was running on this engine")
        return 0
    # `kill` (SIGTERM) stops the mirror as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        served = serve.serve(args.listen, args.port, report=print)
        print(f"\nclass mirror ready in {served.seconds:.0f} s: {len(served.images)} images at {served.address} "
              f"(this machine: {served.local})")
        if served.room:
            print("learners type:\n"
                  f"    dockerlab images ensure --mirror {served.address}\n"
                  f"after adding \"insecure-registries\": [\"{served.address}\"] to their engine's daemon.json and "
                  "restarting it (docs/classroom.md: A class mirror).")
        else:
            print("It listens on 127.0.0.1: only this machine can pull from it. For the room, serve with "
                  "--listen and this machine's address on the room's network (or 0.0.0.0).")
        if args.detach:
            print("left running; stop it with `dockerlab images serve --stop`")
            return 0
        print("serving; press Ctrl-C to stop and remove it")
        while serve.running() is not None:
            time.sleep(2)
        print("the class mirror stopped (removed by `--stop`, or the engine restarted)")
        return 1
    except KeyboardInterrupt:
        print("\nstopping the class mirror ...")
        serve.stop()
        return 0


def _sweep(_args) -> int:
    from dockerlab.engine import session

    print(session.sweep_dead())
    return 0


#: What `dockerlab progress export` writes, said to the learner who hands the file in.
EXPORT_CONTENTS = (
    "It holds your user name and this machine's name, when you exported it, each lesson's exercises done / total, "
    "and for each exercise you checked: passed or not yet, requirements met and unmet, attempts, when it first "
    "passed, when you last checked it, how many \"not yet\" checks in a row since when, and whether the worked solution helped (lesson.solve). No code, no files, nothing else of yours."
)


def _progress(args) -> int:
    from dockerlab.record import progress

    if args.action == "show":
        print(f"progress file: {progress.path()}")
        print(progress.summary().as_text(exercises=args.exercises))
        return 0
    if not args.file:
        raise errors.DockerlabError("`dockerlab progress export` needs a FILE to write.", "dockerlab progress export my-progress.json")
    try:
        written = progress.export(args.file)
    except OSError as exc:
        raise errors.DockerlabError(
            f"Could not write {args.file} ({exc.filename or args.file}: {exc.strerror or exc}).", "name a file in a folder you can write to, e.g. ~/my-progress.json"
        ) from exc
    overview = progress.summary()
    kind = "CSV, one row per exercise checked" if written.suffix.lower() == ".csv" else "JSON"
    print(f"wrote {written} ({kind}): {overview.done} of {overview.total} exercises passed.")
    print(EXPORT_CONTENTS)
    return 0


def _prepare(args) -> int:
    from pathlib import Path

    from dockerlab.classroom.prepare import prepare

    bundle = None if args.no_bundle else Path(args.bundle)
    return prepare(bundle=bundle, run=not args.no_run, notebooks=args.notebooks, timeout=args.timeout, offline=args.offline)


def _release(args) -> int:
    from pathlib import Path

    from dockerlab.classroom import prepare, release
    from dockerlab.classroom.runner import course_dir

    chosen = prepare.select(sorted(course_dir().glob("[0-9][0-9]-*.ipynb")), args.notebooks)
    edition = release.release(Path(args.out), chosen)
    print(release.summary(edition), end="")
    print(f"\nwritten to {edition.folder}/ (and its RELEASE.md); hand out that folder, keep the course's own for yourself.")
    return 0


def _grade(args) -> int:
    from dockerlab import exercises
    from dockerlab.classroom import grade, gradebook, points, report

    # Read the points file (and check the column name) before the long run: a typo should not cost a grading run.
    overrides = points.load(args.points, [e.id for e in exercises.every()]) if args.points else None
    gradebook.header(points.items([(e.id, e.title) for e in exercises.every()], overrides), args.learner_column)
    grades = grade.grade(args.dir, args.out, timeout=args.timeout)
    files = report.write(grades, args.out, overrides=overrides, points_file=args.points, learner_column=args.learner_column)
    print(report.text(grades))
    print(f"\nreport: {files['html']}  {files['csv']}  {files['details']}  ({grades.seconds:.0f} s)")
    print(f"gradebook: {files['gradebook']} (described by {files['sidecar'].name}); feedback pages: {files['feedback']}/")
    return 0


def _class(args) -> int:
    from pathlib import Path

    from dockerlab.classroom import classview, watch

    folder = Path(args.folder)
    if not folder.is_dir():
        raise errors.DockerlabError(f"{folder} is not a folder: the class view reads a folder of progress files, one per learner.",
                                    f"mkdir -p {folder}, and have each learner's progress file land there (docs/classroom.md)")
    try:
        thresholds = classview.Thresholds(not_yet=args.stuck_after, minutes=args.stuck_minutes)
        if args.refresh <= 0:
            raise ValueError("the refresh must be more than 0 seconds")
    except ValueError as exc:
        raise errors.DockerlabError(f"{exc}.", "e.g. --stuck-after 3 --stuck-minutes 10 --refresh 5") from exc
    if args.text:
        import time

        print(classview.build(folder, time.time(), thresholds).text())
        return 0
    try:
        server = watch.make_server(folder, args.host, args.port, args.refresh, thresholds)
    except OSError as exc:
        raise errors.DockerlabError(f"Cannot listen on {args.host}:{args.port} ({exc.strerror or exc}).",
                                    "pick another port with --port N (0: any free one)") from exc
    host, port = server.server_address[:2]
    print(f"class view of {folder}: http://{host}:{port}/  (refreshes every {args.refresh:g} s; Ctrl-C stops it)", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print("anyone who can reach this address sees the page: learners' names and progress, no password", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="dockerlab", description="The dockerlab course's command line.")
    sub = top.add_subparsers(dest="command", required=True)
    doc = sub.add_parser("doctor", help="check that this machine can run the course")
    doc.add_argument("--strict", action="store_true", help="exit 1 on notes too (a PROBLEM always does)")
    doc.set_defaults(func=_doctor)
    img = sub.add_parser("images", help="list, ensure, save or load the course images; serve them to a room")
    img.add_argument("action", choices=["list", "ensure", "save", "load", "serve"])
    img.add_argument("file", nargs="?", help="bundle file for save/load")
    img.add_argument("--offline", action="store_true", help="do not try to pull; build stand-ins")
    img.add_argument("--mirror", metavar="HOST:PORT",
                     help="ensure: pull from the class mirror at HOST:PORT (default $DOCKERLAB_MIRROR)")
    img.add_argument("--listen", default="127.0.0.1", metavar="ADDRESS",
                     help="serve: publish the mirror on ADDRESS: 127.0.0.1 (default, this machine only), this machine's "
                          "address on the room's network, or 0.0.0.0 (every network it is on)")
    img.add_argument("--port", type=int, default=5000, help="serve: the mirror's port (default 5000; 0: any free one)")
    img.add_argument("--detach", action="store_true", help="serve: leave the mirror running and return")
    img.add_argument("--stop", action="store_true", help="serve: stop and remove a running mirror")
    img.set_defaults(func=_images)
    sw = sub.add_parser("sweep", help="remove what killed kernels left behind")
    sw.set_defaults(func=_sweep)
    pro = sub.add_parser("progress", help="show your progress, or export it for an instructor",
                         description="Every exercise check is saved on this machine. " + EXPORT_CONTENTS.replace("It holds", "An export holds"))
    pro.add_argument("action", choices=["show", "export"])
    pro.add_argument("file", nargs="?", help="export: the file to write (.csv for CSV, else JSON)")
    pro.add_argument("--exercises", action="store_true", help="show: list each exercise under its lesson")
    pro.set_defaults(func=_progress)
    pre = sub.add_parser("prepare", help="before a workshop: images, offline bundle, every notebook once, checklist")
    pre.add_argument("--bundle", default="course-images.tar", help="image bundle to write (default: course-images.tar)")
    pre.add_argument("--no-bundle", action="store_true", help="do not write the image bundle")
    pre.add_argument("--no-run", action="store_true", help="do not run the notebooks")
    pre.add_argument("--notebooks", help="only these notebooks, by number or name: 00,03")
    pre.add_argument("--timeout", type=int, default=900, help="seconds a cell may run (default 900)")
    pre.add_argument("--offline", action="store_true", help="do not try to pull; build stand-ins")
    pre.set_defaults(func=_prepare)
    rel = sub.add_parser("release", help="write the learner edition: every notebook without its worked solutions")
    rel.add_argument("out", help="a new or empty folder for the learner edition")
    rel.add_argument("--notebooks", help="only these notebooks, by number or name: 00,03")
    rel.set_defaults(func=_release)
    gr = sub.add_parser("grade", help="run each learner's notebooks in learner mode and report learner x exercise")
    gr.add_argument("dir", help="DIR/<learner>/*.ipynb, or DIR/<learner>.ipynb")
    gr.add_argument("--out", default="grades", help="folder for the report and the executed notebooks (default: grades)")
    gr.add_argument("--timeout", type=int, default=600, help="seconds a cell may run before it is interrupted (default 600)")
    gr.add_argument("--points", metavar="FILE", help='a points.toml: "exercise id" = points (default: what each exercise declares, 1)')
    gr.add_argument("--learner-column", default="learner",
                    help="the gradebook's header for the learner's name: the user field your LMS matches on (default: learner)")
    gr.set_defaults(func=_grade)
    cls = sub.add_parser("class", help="during a workshop: every learner's progress on a page that refreshes itself, stuck ones first")
    cls.add_argument("action", choices=["watch"])
    cls.add_argument("folder", help="a folder with one progress file (or progress export) per learner: FOLDER/<learner>.json")
    cls.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only; "
                     "0.0.0.0 or the room's address to show it on another screen: no password)")
    cls.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free one)")
    cls.add_argument("--refresh", type=float, default=5.0, help="seconds between the page's refreshes (default 5)")
    cls.add_argument("--stuck-after", type=int, default=3, metavar="N", help="stuck after N \"not yet\" checks in a row on an exercise (default 3)")
    cls.add_argument("--stuck-minutes", type=float, default=10.0, metavar="M",
                     help="or M minutes after the first of them (default 10)")
    cls.add_argument("--text", action="store_true", help="print the table once, for a terminal, and exit")
    cls.set_defaults(func=_class)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except errors.DockerlabError as exc:
        print(f"\n{exc.title}\n  {exc.message}\n  What to do: {exc.fix}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
