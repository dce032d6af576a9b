#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages Crewdesk needs to build, test and run,
# and only those that are missing. Sourced by tools/check and tools/demo.

CREWDESK_DEBS=(
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libjson-glib-dev libsqlite3-dev sqlite3
  libgtk-4-dev libadwaita-1-dev libshumate-dev libsoup-3.0-dev
  libmicrohttpd-dev libargon2-dev libsecret-1-dev
  gnome-keyring dbus-daemon libglib2.0-bin
  desktop-file-utils appstream-util
  xvfb xauth openssl
  python3 python3-numpy python3-scipy
)

crewdesk_install_deps () {
  local missing=()
  local pkg
  for pkg in "${CREWDESK_DEBS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "Installing missing packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
