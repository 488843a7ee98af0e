"""For instructors: get a machine ready for a workshop, and grade what learners handed in.

    dockerlab prepare     images, an offline bundle, every notebook once in solution mode, a checklist
    dockerlab grade DIR   run each learner's notebooks in learner mode and write a CSV + HTML report

Modules: :mod:`runner` (papermill, one kernel per notebook, nothing left behind), :mod:`hook` (the
cell added to each run to keep every check's full result), :mod:`prepare`, :mod:`grade`,
:mod:`report`. See docs/classroom.md.
"""
