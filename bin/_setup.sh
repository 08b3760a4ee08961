# Shared by bin/demo and bin/test: a virtual environment in .venv, reinstalled only when
# pyproject.toml changes, and Debian's chromium for the browser tests.
VENV=${VENV:-.venv}

setup_venv() {
  local extra=${1:-}
  local py=${PYTHON:-python3}
  if [ ! -x "$VENV/bin/python" ]; then
    echo "creating virtual environment in $VENV"
    "$py" -m venv "$VENV"
  fi
  local spec="."
  [ -n "$extra" ] && spec=".[$extra]"
  local stamp="$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)-${extra:-base}"
  if [ ! -f "$stamp" ]; then
    echo "installing dependencies ($spec)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
    touch "$stamp"
  fi
}

ensure_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null 2>&1; then return 0; fi
  echo "installing Debian's chromium for the browser tests"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: no chromium and no apt-get; browser tests will be skipped" >&2
  fi
}
