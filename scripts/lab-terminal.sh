# The bash start-up file of the terminals of `make lab` (scripts/lab.sh gives JupyterLab `bash --rcfile` this
# file): a notebook's commands work there as pasted.
#  * Before each prompt, the names of the notebook where a cell ran last are loaded as shell variables
#    (`docker logs $web`), and what its %env set is exported.
#  * Enter on a line pasted as a notebook has it (`!docker logs {web}`, `x = !docker ps`) first puts in its
#    place the command the notebook ran (`docker logs web-dl3f9a1c`), then runs that (bash 4 and later).
# Both come from files the kernel writes after each cell (dockerlab/jupyter/terminal.py).
# shellcheck shell=bash

if [ -f "$HOME/.bashrc" ]; then
  # shellcheck source=/dev/null
  . "$HOME/.bashrc"   # the learner's own set-up first, as in any terminal
fi

__dockerlab_python="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv/bin/python"
__dockerlab_names=""
__dockerlab_vars=""
if [ -x "$__dockerlab_python" ]; then
  __dockerlab_vars=$("$__dockerlab_python" -m dockerlab.jupyter.terminal where 2>/dev/null) || __dockerlab_vars=""
fi

__dockerlab_load() {
  local status=$?   # the last command's status, kept for the prompt
  if [ -n "$__dockerlab_vars" ] && [ -r "$__dockerlab_vars" ]; then
    # shellcheck disable=SC2086 # the names are one word each
    [ -n "$__dockerlab_names" ] && unset $__dockerlab_names 2>/dev/null
    # shellcheck source=/dev/null
    . "$__dockerlab_vars"
  fi
  return $status
}
PROMPT_COMMAND="__dockerlab_load${PROMPT_COMMAND:+; $PROMPT_COMMAND}"

__dockerlab_paste() {
  case $READLINE_LINE in
    *'!'*) ;;
    *) return 0 ;;   # no `!`: a terminal's own line, left alone
  esac
  local line
  if line=$("$__dockerlab_python" -m dockerlab.jupyter.terminal rewrite "$READLINE_LINE"); then
    READLINE_LINE=$line
    READLINE_POINT=${#line}
  fi
}
# bash 3.2 (macOS's /bin/bash) cannot change the line being typed: there, $web and the others still work.
if [ "${BASH_VERSINFO[0]}" -ge 4 ] && [ -x "$__dockerlab_python" ]; then
  bind -x '"\C-x\C-d": __dockerlab_paste'
  bind '"\C-m": "\C-x\C-d\C-j"'
fi
