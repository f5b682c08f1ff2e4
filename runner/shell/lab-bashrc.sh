# Docker Network Lab shell integration, sourced by every lab shell (bash --rcfile).
# It marks the prompt with OSC 133 (the FinalTerm marks VS Code and others use) so the runner, the
# page and the doc-tests know where a command starts, where it ends and how it exited:
#   ESC ] 133 ; A BEL   prompt starts
#   ESC ] 133 ; B BEL   prompt ends, the command line starts
#   ESC ] 133 ; C BEL   the command runs (bash prints PS0 right before it executes a command line)
#   ESC ] 133 ; D ; N BEL   the command finished with exit status N
# A D without a C before it (an empty line) is harmless: readers pair C with the next D.

[ -n "${__lab_marks_installed:-}" ] && return
__lab_marks_installed=1

export TERM=${TERM:-xterm-256color}
export LANG=${LANG:-C.UTF-8}
HISTCONTROL=ignoredups
# The terminal's line discipline counts in UTF-8: in a program that reads whole lines (cat, head,
# read), Backspace erases a whole Chinese character, not one of its bytes. (The runner reads its ptys
# as bytes, and node-pty sets this only for ptys it decodes itself.)
stty iutf8 2>/dev/null
shopt -s checkwinsize

# bash 5.2 highlights pasted text (the active region) and redraws the line to do it; on a narrow
# terminal a wrapped command line then shows twice.
bind 'set enable-active-region off' 2>/dev/null

__lab_first_prompt=1
__lab_prompt_command() {
  local status=$?
  # The first prompt follows no command, so it reports no exit status.
  if [ -z "$__lab_first_prompt" ]; then
    printf '\033]133;D;%s\007' "$status"
  fi
  __lab_first_prompt=
  return "$status"
}
PROMPT_COMMAND="__lab_prompt_command${PROMPT_COMMAND:+; $PROMPT_COMMAND}"

# \[ \] tell readline the marks take no columns; PS0 is printed as is, so it has none.
PS1='\[\033]133;A\007\]\[\033[1;32m\][\u@\h \W]\$\[\033[0m\] \[\033]133;B\007\]'
PS0='\033]133;C\007'
