#!/bin/bash
# test_package.sh - the Debian package CPack builds: `cpack -G DEB` from
# $KATO_BUILD_DIR (output in a temp dir, the build tree untouched), then
# dpkg-deb checks: katod and katoctl in /usr/sbin (executable, the ones the
# unit files start), the systemd units, sysusers.d and tmpfiles.d entries,
# katod(8), the blktests target-control script, kato-configfs and its page
# (when libfuse3-dev is there), and a control file whose
# Depends names the package of every shared library katod and katoctl
# load (dpkg-shlibdeps).
# Needs KATO_BUILD_DIR and KATO_SRC_DIR (ctest sets them).
set -u
: "${KATO_BUILD_DIR:?}" "${KATO_SRC_DIR:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/kato-deb-XXXXXX")
fails=0
trap 'rm -rf "$T"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for tool in cpack dpkg-deb dpkg-shlibdeps objdump dpkg; do
	command -v "$tool" >/dev/null || { skip "$tool not installed"; exit 0; }
done

# A sanitizer build is not what ships (its binaries also load the ASan
# runtime's libraries, which no package of ours depends on): the package is
# checked in the plain build, which CI runs too.
if grep -q '^KATO_SANITIZE:BOOL=ON' "$KATO_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
	skip "sanitizer build: the package is checked in the plain build"
	exit 0
fi

if ! (cd "$T" && cpack -G DEB --config "$KATO_BUILD_DIR/CPackConfig.cmake" -B "$T/out" >"$T/cpack.log" 2>&1); then
	bad "cpack -G DEB failed"
	cat "$T/cpack.log"
	exit 1
fi
deb=$(ls "$T"/out/*.deb 2>/dev/null | head -1)
[ -n "$deb" ] && ok "cpack built $(basename "$deb")" || { bad "no .deb"; cat "$T/cpack.log"; exit 1; }

dpkg-deb -x "$deb" "$T/root" || { bad "dpkg-deb -x"; exit 1; }
dpkg-deb -e "$deb" "$T/DEBIAN" || { bad "dpkg-deb -e"; exit 1; }

has() { # has PATH [x]: a file in the package (executable with x)
	if [ ! -f "$T/root$1" ]; then
		bad "missing $1"
	elif [ "${2:-}" = x ] && [ ! -x "$T/root$1" ]; then
		bad "$1 is not executable"
	else
		ok "$1"
	fi
}
has /usr/sbin/katod x
has /usr/sbin/katoctl x
# /usr/lib or /lib: the same directory on a merged-/usr system (Debian 12)
L=/usr/lib
[ -d "$T/root/usr/lib/systemd" ] || L=/lib
has $L/systemd/system/katod.service
has $L/systemd/system/katod.socket
has $L/sysusers.d/katod.conf
has $L/tmpfiles.d/katod.conf
has /usr/share/man/man8/katod.8
if grep -q '^FUSE3_STATIC:FILEPATH=/' "$KATO_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
	has /usr/sbin/kato-configfs x
	has /usr/share/man/man8/kato-configfs.8
else
	skip "kato-configfs: libfuse3-dev not installed, not built"
fi
if grep -q kato-nvme-target-control "$KATO_SRC_DIR/CMakeLists.txt"; then
	has /usr/sbin/kato-nvme-target-control x
else
	skip "kato-nvme-target-control: CMakeLists.txt does not install it yet"
fi

# the binaries the units start are the ones shipped
for u in "$T"/root$L/systemd/system/*.service; do
	for bin in $(sed -n 's/^Exec[A-Za-z]*=[-@+!]*\([^ ]*\).*/\1/p' "$u"); do
		case $bin in
		/usr/sbin/* | /usr/bin/*) [ -x "$T/root$bin" ] && ok "$(basename "$u") starts $bin" ||
			bad "$(basename "$u") starts $bin, not in the package" ;;
		esac
	done
done
grep -q '^u katod' "$T/root$L/sysusers.d/katod.conf" && ok "sysusers creates user katod" ||
	bad "sysusers.d has no user katod"
grep -q '/var/lib/katod' "$T/root$L/tmpfiles.d/katod.conf" && ok "tmpfiles creates /var/lib/katod" ||
	bad "tmpfiles.d has no /var/lib/katod"

# Depends: the package of every library the binaries need
control=$T/DEBIAN/control
grep -q '^Package: ' "$control" && ok "control: $(grep '^Package: ' "$control")" || bad "control has no Package"
depends=$(sed -n 's/^Depends: //p' "$control")
[ -n "$depends" ] && ok "Depends: $depends" || bad "control has no Depends"
for bin in katod katoctl; do
	for lib in $(objdump -p "$T/root/usr/sbin/$bin" | awk '$1 == "NEEDED" { print $2 }'); do
		pkg=$(dpkg -S "*/$lib" 2>/dev/null | grep -v '^diversion' | head -1 | cut -d: -f1)
		if [ -z "$pkg" ]; then
			bad "$bin needs $lib, which no installed package provides"
		elif grep -Eq "(^|, )$pkg( |,|$)" <<<"$depends"; then
			ok "$bin needs $lib: Depends has $pkg"
		else
			bad "$bin needs $lib ($pkg), not in Depends"
		fi
	done
done

[ "$fails" -eq 0 ] && echo "all passed" || echo "$fails failed"
exit $((fails > 0))
