# Learners' hand-ins for `dockerlab grade` (tests/engine/test_classroom.py runs them); they are not
# course notebooks, so nbval (`make test` collects *.ipynb under tests/) must not run them itself.
collect_ignore = ["submissions", "split"]
