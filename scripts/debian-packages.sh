# Sourced by scripts/run and scripts/test: install the Debian packages Qt needs, when missing.
# As root they come from apt-get; otherwise the script stops and prints the command to run.

# Qt offscreen (tests, screenshots, PDF reports)
QT_OFFSCREEN_DEBS="libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core"
# Qt on an X11 desktop (the xcb platform plugin); Qt >= 6.5 refuses to start without libxcb-cursor0
QT_X11_DEBS="libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0 libxcb-render-util0
  libxcb-image0 libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1"

ensure_debs() {
  local missing="" pkg
  # (not `dpkg -s`: it succeeds for a package removed with its configuration files left behind)
  for pkg in "$@"; do
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || missing="$missing $pkg"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
  else
    echo "$(basename "$0"): please install:$missing  (sudo apt-get install$missing)" >&2
    exit 1
  fi
}
