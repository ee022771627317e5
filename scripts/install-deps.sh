#!/usr/bin/env bash
# Installs the Debian 12 packages emofuse needs, skipping those already present.
#   scripts/install-deps.sh            build + test dependencies (cairo + pango + DejaVu for the
#                                      figures; Slurm + munge for the cluster test; Chromium to
#                                      render report.html in its test; numpy + scikit-learn to
#                                      recompute tables in tests; clang for the fuzz smoke)
#   scripts/install-deps.sh --reference  also PyTorch/numpy/scikit-learn for tests/reference/
# Idempotent: run it as often as you like; it only calls apt-get when something is missing.
set -euo pipefail

packages=(build-essential cmake pkg-config
  libsndfile1-dev libsoxr-dev libfftw3-dev libopenblas-dev libutf8proc-dev libjson-c-dev
  libcurl4-openssl-dev libssl-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core zlib1g-dev
  espeak-ng sox python3 time
  slurm-wlm munge python3-numpy python3-sklearn chromium clang)
if [[ "${1:-}" == "--reference" ]]; then
  packages+=(python3-torch python3-numpy python3-sklearn)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
