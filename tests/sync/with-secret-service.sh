#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# with-secret-service.sh TEST [ARGS...]
#
# Runs TEST with a real Secret Service of its own: gnome-keyring-daemon
# (the "secrets" component alone) on a private D-Bus session bus, with
# its keyrings in a throwaway folder, and a "login" collection made and
# unlocked at start with a throwaway password, so that items are stored
# in the default collection without any prompt. Nothing reaches the
# user's own bus or keyring.
#
# The bus has no service files: a killed daemon is not started again
# behind the test's back (the test restarts it itself, see
# CREWDESK_TEST_KEYRING_* below).
#
# gnome-keyring missing (or dbus-run-session): the test is skipped (exit
# 77, or a TAP skip when ARGS hold --tap), but in CI (CI set, and not
# "false" or "0"), where tools/deps.sh installs it, it fails. A daemon
# that is there but does not start, or leaves no unlocked default
# collection, fails everywhere. The daemon is killed at the end.
#
# Set for TEST:
#   CREWDESK_TEST_SECRET_BUS        the private bus (also DBUS_SESSION_BUS_ADDRESS)
#   CREWDESK_TEST_KEYRING_DAEMON    gnome-keyring-daemon's path, and
#   CREWDESK_TEST_KEYRING_PASSWORD  the throwaway password of the login
#                                   keyring, to start it again
set -u

me=with-secret-service
# A throwaway keyring's password: it guards nothing.
password=crewdesk-test-keyring
# How long the daemon has to answer on the bus, in tenths of a second.
start_tenths=100

say () {
  echo "$me: $*" >&2
}

in_ci () {
  case ${CI:-} in
    "" | false | 0) return 1 ;;
    *) return 0 ;;
  esac
}

# Reading of Secret Service state on the private bus.
bus_call () {
  gdbus call --session --timeout 5 "$@" 2>/dev/null
}

owner_pid () {
  bus_call --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets |
    sed -n 's/^(uint32 \([0-9]*\),)$/\1/p'
}

# Ends process $1 if it is still there: TERM, then KILL after 3 s.
stop_daemon () {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  return 0
}

# Inside the private bus ------------------------------------------------------

inside () {
  local log="$XDG_RUNTIME_DIR/gnome-keyring.log"
  local alias locked status pid

  # --unlock reads the password on standard input: the login keyring is
  # made with it (it must not be empty: an empty one makes none), and
  # becomes the default collection, unlocked. --foreground keeps the
  # daemon this shell's child, with a pid to kill at the end.
  printf '%s' "$password" |
    gnome-keyring-daemon --foreground --unlock --components=secrets >"$log" 2>&1 &
  daemon_pid=$!
  # Not a job: the test may kill it, which is no news to report.
  disown

  for _ in $(seq 1 "$start_tenths"); do
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
      break
    fi
    if [ -n "$(owner_pid)" ]; then
      break
    fi
    sleep 0.1
  done
  pid=$(owner_pid)
  if [ -z "$pid" ]; then
    say "gnome-keyring-daemon did not start on the private bus within $((start_tenths / 10)) s; its output:"
    sed "s/^/$me:   /" "$log" >&2
    stop_daemon "$daemon_pid"
    return 1
  fi

  # The default collection is the login keyring, unlocked: items go there
  # without a prompt (there is no prompter here).
  alias=$(bus_call --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \
            --method org.freedesktop.Secret.Service.ReadAlias default)
  locked=$(bus_call --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets/collection/login \
             --method org.freedesktop.DBus.Properties.Get org.freedesktop.Secret.Collection Locked)
  if [ "$alias" != "(objectpath '/org/freedesktop/secrets/collection/login',)" ] ||
     [ "$locked" != "(<false>,)" ]; then
    say "gnome-keyring-daemon started, but without an unlocked default \"login\" collection (default: ${alias:-none}; locked: ${locked:-unknown}); its output:"
    sed "s/^/$me:   /" "$log" >&2
    stop_daemon "$daemon_pid"
    return 1
  fi
  say "gnome-keyring-daemon $pid answers on $DBUS_SESSION_BUS_ADDRESS, default collection \"login\" unlocked"

  export CREWDESK_TEST_SECRET_BUS="$DBUS_SESSION_BUS_ADDRESS"
  export CREWDESK_TEST_KEYRING_DAEMON
  CREWDESK_TEST_KEYRING_DAEMON=$(command -v gnome-keyring-daemon)
  export CREWDESK_TEST_KEYRING_PASSWORD="$password"
  # What the test leaves behind, if it fails, goes with the rest.
  TMPDIR="$(dirname "$XDG_RUNTIME_DIR")/tmp" "$@"
  status=$?

  # Ours, and whichever the test started instead (it may have killed ours).
  pid=$(owner_pid)
  stop_daemon "$daemon_pid"
  if [ -n "$pid" ] && [ "$pid" != "$daemon_pid" ]; then
    stop_daemon "$pid"
  fi
  return $status
}

if [ "${1:-}" = --inside ]; then
  shift
  inside "$@"
  exit $?
fi

# Outside: checks, a throwaway home, the private bus -----------------------

if [ $# -eq 0 ]; then
  say "usage: $0 TEST [ARGS...]"
  exit 2
fi

missing=""
for tool in gnome-keyring-daemon dbus-run-session dbus-daemon gdbus; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  if in_ci; then
    say "FAILED: missing:$missing (tools/deps.sh installs gnome-keyring, dbus-daemon and libglib2.0-bin)"
    exit 1
  fi
  say "skipped: missing:$missing (install gnome-keyring, dbus-daemon and libglib2.0-bin)"
  for arg in "$@"; do
    if [ "$arg" = --tap ]; then
      echo "1..0 # SKIP no Secret Service to test with: missing$missing"
      exit 0
    fi
  done
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/crewdesk-secret-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -m 0700 "$tmp/data" "$tmp/runtime" "$tmp/home" "$tmp/bus" "$tmp/tmp" || exit 1

# A session bus like the usual one, but without service files: nothing
# is started on demand.
cat >"$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF

# The keyrings go to $tmp/data/keyrings, the daemon's socket to
# $tmp/runtime/keyring; nothing of the user's session leaks in.
export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/runtime"
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
dbus-run-session --config-file="$tmp/bus.conf" -- bash "$0" --inside "$@"
status=$?
if [ $status -ne 0 ] && [ $status -ne 77 ]; then
  say "FAILED with status $status"
fi
exit $status
