#!/bin/sh
# Loads the kernel modules a node needs, in one step (os_baseline, run by Ansible's `script`).
#
#   load-modules.sh [--dry-run] [--container] [--optional NAME,...] NAME=PROBE...
#
# A module is there when PROBE exists: /sys/module/NAME, or the feature it provides when it is
# built into the kernel. On a host a module that is not there is loaded with modprobe. A
# container shares its host's kernel and cannot load one: a module that is not there is an
# error saying what to run on the host, unless it is --optional (RDMA's), then left alone.
# Prints `loaded NAME` for each module it loads (or would load, with --dry-run): the change.
set -eu
dry_run=0
container=0
optional=
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --container) container=1 ;;
    --optional) optional=",$2,"; shift ;;
    *) break ;;
  esac
  shift
done
status=0
for spec in "$@"; do
  name=${spec%%=*}
  probe=${spec#*=}
  [ -e "$probe" ] && continue
  if [ "$container" = 1 ]; then
    if [ "${optional#*,"$name",}" = "$optional" ]; then
      echo "$name is neither built into nor loaded in the host kernel this container shares;" \
        "load it on the host (modprobe $name)." >&2
      status=1
    fi
    continue
  fi
  if [ "$dry_run" = 0 ]; then
    modprobe "$name"
  fi
  echo "loaded $name"
done
exit "$status"
