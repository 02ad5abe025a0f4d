# Shared by scripts/start and scripts/test: find Python >= 3.11 and make the project's virtualenv.
# Works on a fresh Debian/Ubuntu machine: installs python3-venv with apt when the venv module is missing.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  # apt_install PACKAGE...: install Debian packages that are missing (quietly).
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "CareConductor needs Python 3.11 or newer (python3 --version says: $(python3 --version 2>&1))." >&2
  return 1
}

make_venv() {
  # make_venv EXTRAS: create .venv if needed and install the project (with extras, e.g. "test").
  local py extras="$1"
  py=$(find_python)
  if [ ! -x .venv/bin/python ]; then
    if ! "$py" -c 'import ensurepip, venv' >/dev/null 2>&1; then
      command -v apt-get >/dev/null && apt_install "python3-venv" "$(basename "$py")-venv" 2>/dev/null || apt_install python3-venv
    fi
    "$py" -m venv .venv
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
  echo "Installing CareConductor and its pinned dependencies into .venv ..."
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras:+[$extras]}"
}
