#!/usr/bin/env bash
# Test install.man_lint: every man page renders without a single warning and documents every option its program accepts.
#
# Usage: man/lint.sh <source dir>
#
# 1. Rendering: man-db (man --warnings) and groff -ww must print nothing; mandoc -Tlint too when
#    it is installed (optional: not in Debian's base set).
# 2. Coverage: every getopt letter and every -S key is read from the program's source (upstream's
#    option letters are used for a program whose source does not exist yet) and must have its own
#    entry in the page: a line ".B \-x", ".BI \-x ...", ".BI key=..." or ".B key".
set -u

src=${1:?usage: lint.sh <source dir>}
man_dir=$src/man
pages="corosync-qnetd.8 corosync-qnetd-tool.8 corosync-qnetd-certutil.8
       corosync-qdevice.8 corosync-qdevice-tool.8 corosync-qdevice-net-certutil.8"
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

for tool in man groff; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (packages man-db, groff-base)" >&2; exit 1; }
done

# --- 1. rendering -----------------------------------------------------------------------------
for page in $pages; do
    f=$man_dir/$page
    [ -f "$f" ] || { fail "$page: missing"; continue; }
    out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>&1 >/dev/null)
    [ -z "$out" ] || fail "$page: man --warnings:"$'\n'"$out"
    out=$(LC_ALL=C.UTF-8 groff -ww -z -man "$f" 2>&1)
    [ -z "$out" ] || fail "$page: groff -ww:"$'\n'"$out"
    if command -v mandoc >/dev/null; then
        out=$(mandoc -Tlint -W warning "$f" 2>&1)
        [ -z "$out" ] || fail "$page: mandoc -Tlint:"$'\n'"$out"
    fi
    # Sections every page must have.
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" "SEE ALSO"; do
        grep -q "^\.SH \"\{0,1\}$section\"\{0,1\}\$" "$f" || fail "$page: no $section section"
    done
    # The page must name itself in its NAME line.
    name=${page%.8}
    grep -A1 '^\.SH NAME' "$f" | tail -1 | grep -q "^${name//-/\\\\-} " || fail "$page: NAME line does not start with $name"
done

# --- 2. coverage ------------------------------------------------------------------------------
# Letters of a getopt/getopts option string ("46dfhvc:l:m:p:S:s:" -> 4 6 d f ...).
letters_of() {
    printf '%s' "$1" | tr -d ':' | fold -w1
}

# First string literal passed to getopt in a C file, or to getopts in a shell script.
getopt_string() {
    local file=$1
    case $file in
    *.c | *.h)
        grep -ho 'getopt(argc, argv, "[^"]*")' "$file" | head -1 | sed 's/.*"\(.*\)")/\1/'
        grep -ho 'GETOPT_STRING "[^"]*"' "$file" | head -1 | sed 's/.*"\(.*\)"/\1/'
        ;;
    *) grep -ho 'getopts "[^"]*"' "$file" | head -1 | sed 's/.*"\(.*\)"/\1/' ;;
    esac
}

check_letters() {
    local page=$1 letters=$2 from=$3 x
    for x in $(letters_of "$letters"); do
        grep -Eq "^\.(B|BI) \\\\-$x( |$)" "$man_dir/$page" ||
            fail "$page: option -$x ($from) has no entry"
    done
}

check_keys() {
    local page=$1 from=$2 key
    shift 2
    [ $# -gt 0 ] || { fail "$page: no -S keys found in $from"; return; }
    for key in "$@"; do
        grep -Eq "^\.(B|BI) $key(=| |$)" "$man_dir/$page" || fail "$page: -S $key ($from) has no entry"
    done
}

# page | upstream's getopt option string | source files that may hold the real one
while IFS='|' read -r page spec sources; do
    [ -n "$page" ] || continue
    check_letters "$page" "$spec" "upstream"
    for s in $sources; do
        [ -f "$src/$s" ] || continue
        real=$(getopt_string "$src/$s")
        [ -n "$real" ] && check_letters "$page" "$real" "$s"
    done
done <<'EOF'
corosync-qnetd.8|46dfhvc:l:m:p:S:s:|qnetd/qnetd_settings.c
corosync-qnetd-tool.8|CHhjlMsvc:p:|qnetd/qnetd_tool.c
corosync-qnetd-certutil.8|:Ghisc:n:|qnetd/corosync-qnetd-certutil.sh
corosync-qdevice.8|dfhS:|qdevice/qdevice_settings.h qdevice/qdevice_settings.c
corosync-qdevice-tool.8|CDHhjMsvp:|qdevice/qdevice_tool.c
corosync-qdevice-net-certutil.8|:hiMmQrc:S:C:n:|qdevice/corosync-qdevice-net-certutil.sh
EOF

# -S keys straight from the settings parsers, so a key added there without a man entry fails here.
# A parser names its keys either in a table ({"key", ...}) or in strcasecmp(key, "key") calls.
settings_keys() {
    { grep -ho 'strcasecmp(key, "[a-z0-9_]*")' "$1" | sed 's/.*"\(.*\)")/\1/'
      grep -hoE '^[[:space:]]*\{"[a-z0-9_]+",' "$1" | sed 's/.*{"\(.*\)",/\1/'; } | sort -u
}
mapfile -t qnetd_keys < <(settings_keys "$src/qnetd/qnetd_settings.c")
check_keys corosync-qnetd.8 qnetd/qnetd_settings.c "${qnetd_keys[@]}"
mapfile -t qdevice_keys < <(settings_keys "$src/qdevice/qdevice_settings.c")
check_keys corosync-qdevice.8 qdevice/qdevice_settings.c "${qdevice_keys[@]}"

if [ "$failures" -ne 0 ]; then
    echo "man_lint: $failures problem(s)" >&2
    exit 1
fi
echo "man_lint: 6 pages render cleanly; every option and -S key (${#qnetd_keys[@]} qnetd, ${#qdevice_keys[@]} qdevice) is documented"
