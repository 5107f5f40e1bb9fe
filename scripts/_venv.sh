# Sourced by scripts/run and scripts/test: find Python 3.12+, build .venv, install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  # pyenv keeps other versions out of PATH; look there before giving up.
  for candidate in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3; do
    [ -x "$candidate" ] && { echo "$candidate"; return 0; }
  done
  return 1
}

ensure_venv() {
  local requirements="$1"
  if [ ! -x .venv/bin/python ]; then
    local python
    python="$(find_python)" || { echo "Partner Health needs Python 3.12 or newer (Django 6). Set PYTHON=/path/to/python3.12." >&2; exit 1; }
    echo "==> Creating .venv with $python"
    "$python" -m venv .venv
  fi
  local stamp=".venv/.installed-$(basename "$requirements")"
  if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    echo "==> Installing $requirements"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r "$requirements"
    touch "$stamp"
  fi
}
