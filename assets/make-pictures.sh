#!/usr/bin/env bash
# Re-makes every docs picture that shows the default model's renders, after
# assets/default-model.fsw has been replaced (run from anywhere; needs xvfb-run, ImageMagick's
# /usr/bin/convert, blender for street-buildings.png). Recipes recovered from the docs, the
# pictures themselves and git history. Checked 2026-12-07 with the model unchanged: style-grid and
# prior-draws came out pixel for pixel, the three screenshots all but the status bar's render
# time, street, facade-maps and street-buildings with the same layouts and composition but
# today's gallery styles (they had been made before styles, and were replaced by these). Look at
# every picture before committing it.
#
# Usage: FS=/path/to/facade-studio assets/make-pictures.sh
#   REP=dir: reuse the reports of `eval --style none|prior|own|other` (report-<style> inside dir);
#   without it they are made here.
# Not covered (no recorded recipe): generate-panel.png, training-panel.png, facade-glb-blender.png;
# the historical comparison grids (oasis-grid, spectral-grid, quality-grid) stay as they are.
set -euo pipefail

REPO=${REPO:-$(cd "$(dirname "$0")/.." && pwd)}
FS=${FS:-${CARGO_TARGET_DIR:-$REPO/target}/release/facade-studio}
DATA=${DATA:-${FACADES_DIR:-$REPO/../shared/facades}/train}
A=$REPO/assets
T=$(mktemp -d /tmp/make-pictures.XXXXXX)
echo "work folder: $T"
cd "$REPO"
# The binary must read the new assets/default-model.fsw (through its build-time source-tree
# fallback, since the release folder has no assets/ beside it).
unset FACADE_MODEL FACADE_SEGMENTER
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg}; mkdir -p "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
# The docs' commands name no --backend: `auto` is the CPU on this machine (the screenshots say
# "CPU (Flex, 2 threads)"). On a machine with a GPU add --backend cpu to every command.

# ---------------------------------------------------------------------------------------------
# 0. Inputs cut from the held-out pairs (pix2pix layout: photo left, labels right).
#    INFERRED: the tool. VERIFIED: prior-draws' layout column equals this exact crop.
mkdir -p "$T/in" /tmp/shot
for n in 361 362 363; do
  convert "$DATA/$n.jpg" -crop 256x256+256+0 +repage "$T/in/labels$n.png"
done
convert "$DATA/371.jpg" -crop 256x256+0+0 +repage /tmp/shot/photo371.png   # path as in the old shots

# ---------------------------------------------------------------------------------------------
# 1. Held-out figures for the docs (MODEL.md "Commands"; quality.md) + the style grid.
#    VERIFIED (MODEL.md:31-32, :141): for s in none own other; eval --style $s; own --raw-colours;
#    --style prior. other --raw-colours is INFERRED (MODEL.md:46's row has no command).
R=${REP:-$T/reports}; mkdir -p "$R"
if [ -z "${REP:-}" ]; then
  for s in none prior own other; do
    "$FS" eval --data "$DATA" --last 40 --out "$R/report-$s" --style "$s" | tee "$R/report-$s.txt"
  done
fi

# style-grid.png (docs/quality.md:41, MODEL.md:58). VERIFIED: eval's grid-styles.png (8 rows,
# written by every eval of a style model), top 4 rows = pairs 361-364.
test -f "$R/report-none/grid-styles.png" || { echo "no grid-styles.png: does the new model take styles?"; exit 1; }
convert "$R/report-none/grid-styles.png" -crop 1536x1024+0+0 +repage "PNG24:$A/style-grid.png"

# ---------------------------------------------------------------------------------------------
# 2. prior-draws.png (docs/painting.md:83, MODEL.md:122): held-out layouts 361-363 | the model's
#    own colours | five draws of the prior (render --seed 1…5).
#    Column 0 VERIFIED (exact crop); render commands INFERRED from the caption; assembly INFERRED.
P=$T/prior; mkdir -p "$P"
rows=()
for n in 361 362 363; do
  "$FS" render --input "$T/in/labels$n.png" --output "$P/$n-own.png" --model-colours
  row=("$T/in/labels$n.png" "$P/$n-own.png")
  for k in 1 2 3 4 5; do
    "$FS" render --input "$T/in/labels$n.png" --output "$P/$n-s$k.png" --seed "$k"
    row+=("$P/$n-s$k.png")
  done
  convert "${row[@]}" +append "$P/row$n.png"
  rows+=("$P/row$n.png")
done
convert "${rows[@]}" -append "PNG24:$A/prior-draws.png"

# ---------------------------------------------------------------------------------------------
# 3. street.png + facade-maps.png (docs/generate.md:44, :46).
#    INFERRED: "six generated facades, seeds 1-6" = generate --count 6 --seed 1 (16x16 m, 16 px/m).
#    VERIFIED: facade-maps is facade-002 of that same set (its tiles equal street.png's column 2).
#    NOTE: made before styles existed. Today's generate draws a gallery style per facade; add
#    --no-style for the old look (the model's own colours).
G=$T/street6
"$FS" generate --out "$G" --count 6 --seed 1
top=(); bottom=()
for k in 1 2 3 4 5 6; do f=$(printf '%s/facade-%03d' "$G" "$k"); top+=("$f/labels.png"); bottom+=("$f/albedo.png"); done
convert \( "${top[@]}" +append \) \( "${bottom[@]}" +append \) -append "PNG24:$A/street.png"
f=$G/facade-002
convert "$f/labels.png" "$f/albedo.png" "$f/emission.png" "$f/height.png" "$f/normal.png" "$f/orm.png" \
  +append "PNG24:$A/facade-maps.png"

# ---------------------------------------------------------------------------------------------
# 4. street-buildings.png (docs/generate.md:84-89). Commands VERIFIED from the docs' text.
#    GUESS: the Blender script renders 960x480, the asset is 800x400 (same aspect): resized here.
if command -v blender >/dev/null; then
  B=$T/street5
  "$FS" building --footprint 10x8 --floors 3 --count 5 --street --seed 1 --roof hipped --out "$B"
  blender -b --python .ci/blender-building.py -- "$B/street.glb" render "$T/street-buildings-960.png"
  convert "$T/street-buildings-960.png" -resize 800x400 "PNG32:$A/street-buildings.png"   # GUESS (resize vs crop)
else
  echo "SKIPPED street-buildings.png: no blender"
fi

# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
# Screenshots: `shot` (assets/shot.sh, shared with make-sketch-pictures.sh).
source "$A/shot.sh"

# 6. screenshot.png (README.md:22): the first canvas after one Vary (seed 1570054105 with the old
#    model's code path), gallery filled. Script INFERRED from the caption. AFTER is a GUESS (long
#    enough for the six gallery tiles).
printf '[Vary]\n' > "$T/vary.ron"
shot "$A/screenshot.png" 40 "$T/vary.ron" ""

# 7. restyle-screenshot.png (docs/painting.md:215): photo 371 read as labels, facade #A8442E.
#    VERIFIED: the swatch colour (168,68,46) and the path /tmp/shot/ (seen in the colourise shot);
#    the commit f148f70 says it was taken with these script steps. AFTER is a GUESS.
cat > "$T/restyle.ron" <<'EOF'
[OpenPhotoAsLabels("/tmp/shot/photo371.png"), Colour(class: "facade", rgb: (168, 68, 46))]
EOF
shot "$A/restyle-screenshot.png" 40 "$T/restyle.ron" ""

# 8. building-preview.png (docs/generate.md:120): the first canvas after one Vary, File → Export
#    building into /tmp/bld (the path shown in the old preview window). Script INFERRED; AFTER GUESS
#    (the three other walls render on their own thread before the 3D preview is complete).
rm -rf /tmp/bld
printf '[Vary, ExportBuilding("/tmp/bld")]\n' > "$T/building.ron"
shot "$A/building-preview.png" 90 "$T/building.ron" ""

# Not default-model pictures (left alone): quality-grid.png (oldest vs 53-epoch model),
# sketch-grid.png, sketch-screenshot.png (sketch model), grey-grid.png, colourise-screenshot.png
# (grey model).
echo "done; reports and logs in $T"
