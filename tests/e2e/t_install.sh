# make install lays out tools, library, headers, pkg-config file, man pages
# and templates under PREFIX/DESTDIR; the binaries are hardened; uninstall
# removes everything it installed.
. "$KPKI_E2E/lib.sh"

stage=${KPKI_STAGE:?}
top=${KPKI_TOP:?}
p=$stage/usr/local
for f in bin/kpki-inspect lib/libpki.a lib/libpki.so.0 lib/libpki.so lib/pkgconfig/kpki.pc \
	include/pki/cert.h include/pki/report.h share/man/man1/kpki-inspect.1 \
	share/kpki/templates/kubeadm-v1.29.yaml share/kpki/templates/kubeadm-v1.22.yaml; do
	[ -e "$p/$f" ] || die "not installed: $f"
done
[ "$(stat -c %a "$p/bin/kpki-inspect")" = 755 ] || die "tool mode"

# hardening: PIE, full RELRO, stack protector, fortify
readelf -h "$p/bin/kpki-inspect" | grep -q 'DYN' || die "not PIE"
readelf -d "$p/bin/kpki-inspect" | grep -q 'BIND_NOW' || die "no BIND_NOW (full RELRO)"
readelf -l "$p/bin/kpki-inspect" | grep -q 'GNU_RELRO' || die "no RELRO segment"
readelf -d "$p/lib/libpki.so.0" | grep -q 'SONAME.*libpki.so.0' || die "soname"
if [ -z "${KPKI_LDFLAGS:-}" ]; then
	# -fstack-protector-strong and _FORTIFY_SOURCE leave their marks
	nm -D "$p/bin/kpki-inspect" | grep -q '__stack_chk_fail' || die "no stack protector"
	nm -D "$p/bin/kpki-inspect" | grep -q '__[a-z]*_chk' || die "not fortified"
fi

# the installed library and headers build a program through pkg-config
cat >use.c <<'C'
#include <stdio.h>
#include <pki/duration.h>
int main(void) {
	struct pki_err err;
	int64_t s;
	pki_err_clear(&err);
	if (pki_duration_parse("1y2d", "x", &s, &err) != 0) return 1;
	printf("%lld\n", (long long)s);
	return 0;
}
C
PKG_CONFIG_PATH=$p/lib/pkgconfig
export PKG_CONFIG_PATH
# (under `make asan` the library needs the sanitizer runtime linked in too)
cc ${KPKI_LDFLAGS:-} -o use use.c -I"$p/include" -L"$p/lib" -lpki $(pkg-config --cflags gnutls) \
	$(pkg-config --libs gnutls libtasn1 yaml-0.1) || die "cannot build against libpki"
[ "$(LD_LIBRARY_PATH=$p/lib ./use)" = 31708800 ] || die "program against libpki"
pkg-config --modversion kpki >/dev/null || die "pkg-config kpki"

# uninstall removes it all, from a copy of the staged root
cp -a "$stage" root
make -s -C "$top" uninstall DESTDIR="$PWD/root" PREFIX=/usr/local >/dev/null
left=$(find root -type f | head -5)
[ -z "$left" ] || die "uninstall left: $left"
