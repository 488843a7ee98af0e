#!/bin/sh
# Prepares the VM's root filesystem, run by matrix/vm.py under chroot ON THE HOST: what would take
# 10-15 times longer inside the emulated VM (python -m venv, pip) runs here at the host's speed.
# Before this, vm.py has copied in: the project's pyproject.toml, README.md, dockerlab/ and notebooks/ at
# /srv/dockerlab, the pip constraints at /tmp/constraints.txt, the host's extra CA certificates, the
# job unit and its runner, the network config. PIP_* and INSTALLED come from vm.py's environment.
set -eu

# The host's extra CA certificates: HTTPS (pip, curl) from inside works as on the host.
update-ca-certificates >/dev/null

# The project's .venv as scripts/setup.sh makes it, in the learner's place: beside the project.
python3 -m venv /srv/dockerlab/.venv
/srv/dockerlab/.venv/bin/python -m pip install --quiet --upgrade pip
# Pinned to the machine's .venv; a pin this Python cannot have (Debian 12 has Python 3.11.2, and
# some releases need 3.11.5) is dropped, said on stdout, and pip picks that package's version.
for attempt in 1 2 3 4 5 6; do
  if /srv/dockerlab/.venv/bin/python -m pip install -c /tmp/constraints.txt -e '/srv/dockerlab[test]' >/tmp/pip.log 2>&1; then
    break
  fi
  unusable=$(sed -n 's/.*The user requested (constraint) \([^ ]*\)$/\1/p' /tmp/pip.log | sort -u)
  if [ -z "$unusable" ] || [ "$attempt" = 6 ]; then cat /tmp/pip.log; exit 1; fi
  for pin in $unusable; do
    echo "pin dropped (no release of it installs on this Python): $pin"
    grep -vixF "$pin" /tmp/constraints.txt > /tmp/constraints.new || true
    mv /tmp/constraints.new /tmp/constraints.txt
  done
done
rm -f /tmp/pip.log
echo "$INSTALLED" > /srv/dockerlab/.venv/.dockerlab-installed
/srv/dockerlab/.venv/bin/python -m pip freeze --exclude-editable > /srv/dockerlab/.venv/pip-freeze.txt

systemctl enable --quiet dockerlab-matrix.service systemd-networkd.service
# Timers that would start apt, man-db or fstrim in the middle of a (slow, emulated) test run.
systemctl mask --quiet apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer \
  dpkg-db-backup.timer logrotate.timer systemd-tmpfiles-clean.timer
