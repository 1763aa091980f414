#!/usr/bin/env bash
# Trains the bundled hfdiff-tiny model from scratch on a CPU: VQGAN f4 autoencoder -> ResShift teacher -> SinSR
# one-step student, then copies the EMA weights to data/default-model/ (embedded in HfDiff.Torch at the next build).
# Run from the repository root:  bash data/default-model/train.sh [HR_DIR] [RUN_DIR]
# HR_DIR defaults to the CC0/public-domain images listed in MODEL_CARD.md, copied from Debian's python3-skimage.
# A stage that stops (Ctrl+C, a crash) is resumed from its last checkpoint, at most 3 times; resume is exact.
set -euo pipefail
HR=${1:-runs/default-model/hr}
RUN=${2:-runs/default-model}
HFDIFF=${HFDIFF:-"dotnet run -c Release --project src/HfDiff.Cli --"}
HERE=data/default-model

if [ ! -d "$HR" ]; then
  SK=/usr/lib/python3/dist-packages/skimage/data
  [ -d "$SK" ] || { echo "error: $HR does not exist and $SK is missing (apt-get install python3-skimage)" >&2; exit 2; }
  mkdir -p "$HR"
  for f in astronaut.png rocket.jpg hubble_deep_field.jpg retina.jpg ihc.png camera.png brick.png grass.png gravel.png coins.png; do
    cp "$SK/$f" "$HR/"
  done
fi

stage() {   # stage KIND CONFIG OUT
  local kind=$1 config=$2 out=$3 tries=0
  local cmd=(train $kind --config "$config" --data "$HR" --out "$out")
  [ "$kind" = autoencoder ] && cmd=(train autoencoder --config "$config" --data "$HR" --out "$out")
  until { if [ -d "$out/checkpoints" ] && ls "$out"/checkpoints/*.ckpt >/dev/null 2>&1; then $HFDIFF "${cmd[@]}" --resume; else $HFDIFF "${cmd[@]}"; fi; }; do
    tries=$((tries + 1))
    [ $tries -le 3 ] || { echo "error: $kind stopped $tries times; see $out" >&2; exit 1; }
    echo "$kind stopped; resuming from its last checkpoint ($tries/3)" >&2
  done
}

stage autoencoder "$HERE/autoencoder.yaml" "$RUN/autoencoder"
cp "$RUN/autoencoder/ema_model_final.pth" "$HERE/hfdiff-tiny_autoencoder.pth"
stage teacher "$HERE/teacher.yaml" "$RUN/teacher"
stage student "$HERE/student.yaml" "$RUN/student"
cp "$RUN/student/ema_model_final.pth" "$HERE/hfdiff-tiny_unet.pth"
echo "done: $HERE/hfdiff-tiny_unet.pth, $HERE/hfdiff-tiny_autoencoder.pth (rebuild to embed them)"
