# The command line of every tool: --help, --version, usage errors, and the
# man page naming every option --help lists (and the other way round).
. "$KPKI_E2E/lib.sh"

expect_status 0 kpki-inspect --help
expect_grep "--cert-dir" out
expect_grep "--warn-within" out
expect_status 2 kpki-inspect -o xml
expect_status 2 kpki-inspect --verify somefile.crt
expect_status 2 kpki-inspect -o yaml somefile.crt
expect_status 2 kpki-inspect --verify --warn-within 1d
expect_status 2 kpki-inspect --node-role worker
expect_status 2 kpki-sign --init
expect_grep "--ca-dir is required" err
expect_status 2 kpki-sign --ca-dir x --bundle b --csr c --policy p
expect_status 2 kpki-sign --ca-dir x --csr c --policy p
expect_grep "--csr needs --profile" err

tools=0
for bin in "$BIN"/kpki-*; do
	tool=$(basename "$bin")
	tools=$((tools + 1))
	expect_status 0 "$tool" --version
	expect_grep "$tool 0." out
	expect_status 2 "$tool" --no-such-option
	expect_grep "$tool:" err
	expect_status 0 "$tool" --help
	man=$E2E/../../man/$tool.1
	[ -f "$man" ] || die "no man page for $tool"
	for opt in $(grep -o -- '--[a-z][a-z0-9-]*' out | sort -u); do
		grep -q -- "Fl -${opt#--}" "$man" || die "$tool.1 lacks $opt"
	done
	# the options the page documents: its OPTIONS list
	for opt in $(sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$man" | grep '^\.It' |
		grep -o -- 'Fl -[a-z][a-z0-9-]*' | sed 's/Fl -//' | sort -u); do
		grep -q -- "--$opt" out || die "$tool --help lacks --$opt, which $tool.1 names"
	done
	grep -q '^\.Sh EXIT STATUS' "$man" || die "$tool.1 has no EXIT STATUS"
	# closed standard descriptors do not confuse it
	"$tool" --version <&- >v.txt || die "$tool with stdin closed"
done
[ "$tools" -ge 3 ] || die "only $tools tools installed"
