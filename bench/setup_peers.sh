#!/usr/bin/env bash
# Install the peer toolkits that bench/restore.py compares khabar with, each in its own virtual
# environment under bench/.peers/ (gitignored): their pins conflict (hazm wants numpy 1.24,
# shekar numpy 2). Only the benchmark uses them. A peer that fails to install is reported and
# skipped; the benchmark prints why and goes on.
#
# usage: bash bench/setup_peers.sh [hazm] [shekar] [parsivar]   (default: all three)
set -u
cd "$(dirname "$0")"
PY=${PYTHON:-python3.11}
declare -A SPEC=([hazm]="hazm==0.10.0" [shekar]="shekar==1.7.0" [parsivar]="parsivar==0.2.3.1")
peers=("$@"); [ ${#peers[@]} -eq 0 ] && peers=(hazm shekar parsivar)
mkdir -p .peers
for p in "${peers[@]}"; do
  dir=.peers/$p
  if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "import $p" 2>/dev/null; then
    echo "$p: ready ($dir)"; continue
  fi
  rm -rf "$dir"
  $PY -m venv "$dir" && "$dir/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1
  if "$dir/bin/python" -m pip install -q "${SPEC[$p]}" > "$dir.log" 2>&1 && "$dir/bin/python" -c "import $p" >> "$dir.log" 2>&1; then
    echo "$p: installed (${SPEC[$p]})"
  else
    echo "$p: FAILED to install, see bench/$dir.log"; tail -3 "$dir.log"
  fi
done
