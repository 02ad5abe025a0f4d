# stage NAME CMD...: run one stage of scripts/test, timed. `trap print_stages EXIT` prints the table of stages
# when the script ends, passed or not, so each run says what it cost (CI stops at 90 minutes; the house goal
# is 20). A failing command stops the script as `set -e` would anywhere else.

STAGE_NAMES=()
STAGE_SECONDS=()
STAGE_RESULTS=()
STAGE_CURRENT=""
STAGE_STARTED=0
STAGES_STARTED=$SECONDS

stage() {
  STAGE_CURRENT="$1"
  STAGE_STARTED=$SECONDS
  shift
  echo
  echo "== $STAGE_CURRENT"
  "$@"
  _stage_done "ok"
}

_stage_done() {
  STAGE_NAMES+=("$STAGE_CURRENT")
  STAGE_SECONDS+=($((SECONDS - STAGE_STARTED)))
  STAGE_RESULTS+=("$1")
  STAGE_CURRENT=""
}

print_stages() {
  local rc=$? i
  [ -n "$STAGE_CURRENT" ] && _stage_done "FAILED (exit $rc)"
  echo
  echo "== Stage times (seconds)"
  for i in "${!STAGE_NAMES[@]}"; do
    printf '%6d  %-24s %s\n' "${STAGE_SECONDS[$i]}" "${STAGE_NAMES[$i]}" "${STAGE_RESULTS[$i]}"
  done
  printf '%6d  %s\n' $((SECONDS - STAGES_STARTED)) "total"
  return "$rc"
}
