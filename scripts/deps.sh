#!/bin/sh
# Install what kpki needs to build and test, from Debian's packages.
# Usage: scripts/deps.sh [build|test|all]   (default: all)
# Only missing packages are installed; as non-root the exact command is
# printed and the script fails.
set -eu

what=${1:-all}
build_pkgs="make gcc libc6-dev pkg-config libgnutls28-dev libtasn1-6-dev libyaml-dev libpopt-dev"
test_pkgs="check openssl gnutls-bin python3 python3-cryptography python3-yaml softhsm2 strace"
# the interoperability tests (tests/e2e/t_interop_*.sh): etcd, the python3
# kubernetes client, and kubectl unless one is already on PATH
test_pkgs="$test_pkgs etcd-server etcd-client python3-kubernetes"
command -v kubectl >/dev/null 2>&1 || test_pkgs="$test_pkgs kubernetes-client"

case $what in
build) pkgs=$build_pkgs ;;
test | all) pkgs="$build_pkgs $test_pkgs" ;;
*)
	echo "usage: scripts/deps.sh [build|test|all]" >&2
	exit 2
	;;
esac

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "kpki: missing packages:$missing" >&2
	echo "kpki: run as root: apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "kpki: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# An old or absent package list makes apt-get install fail; refresh it once.
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
