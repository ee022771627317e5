#!/usr/bin/env bash
# The module layering that the build enforces (each module sees only include/ and its own
# private folder; third-party headers stay with the module that links the library),
# restated over the sources so that a violation is named even before a build: every
# quoted include of src/<m>/ is public ("emofuse/...") or <m>'s own, and the CLI includes
# no third-party header (no <cblas.h>, no <json-c/...>).
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
fail=0
for f in "$src"/src/*/*.[ch]; do
  m=$(basename "$(dirname "$f")")
  while IFS= read -r inc; do
    case "$inc" in
      emofuse/*|"$m"/*) ;;
      */*) echo "FAIL: $f includes \"$inc\" (another module's private header)"; fail=1 ;;
      *) [[ -e "$(dirname "$f")/$inc" ]] || { echo "FAIL: $f includes \"$inc\""; fail=1; } ;;
    esac
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
libc='^(assert|ctype|errno|float|getopt|inttypes|limits|locale|math|signal|stdarg|stdatomic|stdbool|stddef|stdint|stdio|stdlib|string|strings|time|unistd|fcntl|dirent|pthread|sys/[a-z]+)\.h$'
for f in "$src"/src/cli/*.[ch]; do
  while IFS= read -r inc; do
    [[ $inc =~ $libc ]] || { echo "FAIL: $f includes <$inc>: the CLI uses only public headers and libc"; fail=1; }
  done < <(sed -n 's/^#include <\([^>]*\)>.*/\1/p' "$f")
done
(( fail )) && exit 1
echo ok
