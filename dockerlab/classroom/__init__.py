"""For instructors: get a machine ready for a workshop, and grade what learners handed in.

    dockerlab prepare     images, an offline bundle, every notebook once in solution mode, a checklist
    dockerlab grade DIR   run each learner's notebooks in learner mode and write a CSV + HTML report
    dockerlab class watch FOLDER   during the workshop: every learner's progress on a page, stuck ones first

Modules: :mod:`runner` (papermill, one kernel per notebook, nothing left behind), :mod:`hook` (the
cell added to each run to keep every check's full result), :mod:`prepare`, :mod:`grade`,
:mod:`report`, :mod:`classview` and :mod:`watch` (the class view). See docs/classroom.md.
"""
