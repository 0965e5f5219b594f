#!/usr/bin/env bash
# Re-makes the sketch model's pictures after assets/sketch-model.fsw has been replaced:
# sketch-grid.png (MODEL.md, "The sketch model") and sketch-screenshot.png (docs/painting.md).
# Needs xvfb-run and ImageMagick's /usr/bin/convert. Look at both pictures before committing them.
#
# Usage: FS=/path/to/facade-studio assets/make-sketch-pictures.sh
#   SKETCHES=dir, HINTED=dir: `dataset derive --kind edges` and `--kind hinted-edges --hint-share 1`
#   of facades/train (made here when not given).
set -euo pipefail

REPO=${REPO:-$(cd "$(dirname "$0")/.." && pwd)}
FS=${FS:-${CARGO_TARGET_DIR:-$REPO/target}/release/facade-studio}
DATA=${DATA:-${FACADES_DIR:-$REPO/../shared/facades}/train}
A=$REPO/assets
T=$(mktemp -d /tmp/make-sketch-pictures.XXXXXX)
echo "work folder: $T"
cd "$REPO"
unset FACADE_MODEL FACADE_SEGMENTER
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg}; mkdir -p "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
C=/usr/bin/convert

SKETCHES=${SKETCHES:-$T/sketches}
HINTED=${HINTED:-$T/hinted-all}
test -d "$SKETCHES" || "$FS" dataset derive --kind edges --from "$DATA" --out "$SKETCHES"
test -d "$HINTED" || "$FS" dataset derive --kind hinted-edges --hint-share 1 --from "$DATA" --out "$HINTED"

# sketch-grid.png: held-out pairs 361-364, one row each:
# plain sketch | its render | fully hinted sketch | its render | true photo.
rows=()
for n in 361 362 363 364; do
  $C "$SKETCHES/$n.png" -crop 256x256+256+0 +repage "$T/plain$n.png"
  $C "$HINTED/$n.png" -crop 256x256+256+0 +repage "$T/hinted$n.png"
  $C "$SKETCHES/$n.png" -crop 256x256+0+0 +repage "$T/photo$n.png"
  for kind in plain hinted; do
    "$FS" render --task sketch --input "$T/$kind$n.png" --output "$T/render-$kind$n.png" --backend cpu
  done
  $C "$T/plain$n.png" "$T/render-plain$n.png" "$T/hinted$n.png" "$T/render-hinted$n.png" "$T/photo$n.png" +append "$T/row$n.png"
  rows+=("$T/row$n.png")
done
$C "${rows[@]}" -append "PNG24:$A/sketch-grid.png"

# sketch-screenshot.png: the studio in sketch mode, held-out sketch 371 fully hinted imported onto
# the canvas.
$C "$HINTED/371.png" -crop 256x256+256+0 +repage "$T/hinted371.png"
printf '[SetTask("sketch"), ImportLabels("%s")]\n' "$T/hinted371.png" > "$T/sketch.ron"
source "$A/shot.sh"
shot "$A/sketch-screenshot.png" 30 "$T/sketch.ron" ""
echo "done; inputs and renders in $T"
