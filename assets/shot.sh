# Sourced by assets/make-pictures.sh and assets/make-sketch-pictures.sh (which set FS, the
# binary, and T, their work folder).
#
# Screenshots (docs/cli.md: FACADE_SCREENSHOT / FACADE_SCREENSHOT_AFTER / FACADE_STATE_DIR under
# xvfb-run). The app saves the shot once a render is shown and AFTER seconds have passed, then asks
# to close. With a dirty document (any edit in the script) the close is cancelled, so wait for
# "screenshot saved" and end the run this function started, by its process group.
shot() {   # shot OUT AFTER_SECONDS SCRIPT_RON|"" STATE_DIR|"" [app args...]
  local out=$1 after=$2 ron=$3 state=$4; shift 4
  local name; name=$(basename "$out" .png)
  local tmp=$T/$name.png log=$T/$name.log st
  st=$(mktemp -d "$T/state-$name.XXXX")
  if [ -n "$state" ]; then cp -a "$state/." "$st/"; fi
  rm -f "$tmp"
  local args=("$@"); if [ -n "$ron" ]; then args+=(--script "$ron"); fi
  FACADE_STATE_DIR=$st FACADE_SCREENSHOT=$tmp FACADE_SCREENSHOT_AFTER=$after \
    setsid xvfb-run -a "$FS" "${args[@]}" >"$log" 2>&1 &
  local pid=$! waited=0
  until grep -q 'screenshot saved to\|screenshot failed' "$log" 2>/dev/null; do
    sleep 2; waited=$((waited + 2))
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if [ "$waited" -gt $((after + 600)) ]; then echo "timed out: $name"; break; fi
  done
  sleep 1
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -s "$tmp" ]; then mv "$tmp" "$out"; echo "wrote $out"; else echo "FAILED $name (see $log)"; fi
}
