# The command line: --help, --version, usage errors, the man page.
. "$KPKI_E2E/lib.sh"

expect_status 0 kpki-inspect --help
expect_grep "--cert-dir" out
expect_grep "--warn-within" out
expect_status 0 kpki-inspect --version
expect_grep "kpki-inspect " out
expect_status 2 kpki-inspect --no-such-option
expect_grep "kpki-inspect:" err
expect_status 2 kpki-inspect -o xml
expect_status 2 kpki-inspect --verify somefile.crt
expect_status 2 kpki-inspect -o yaml somefile.crt
expect_status 2 kpki-inspect --verify --warn-within 1d
expect_status 2 kpki-inspect --node-role worker
# the man page's options are the tool's options
man=$E2E/../../man/kpki-inspect.1
kpki-inspect --help >help.txt
for opt in $(grep -o -- '--[a-z][a-z-]*' help.txt | sort -u); do
	grep -q -- "Fl -${opt#--}" "$man" || die "man page lacks $opt"
done
# closed standard descriptors do not confuse it
kpki-inspect --version <&- >v.txt || die "closed stdin"
