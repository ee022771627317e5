# Sourced by the bench/run_*.sh scripts: build_type BUILD_DIR prints the build's CMake
# build type for the header line and warns on stderr unless it is Release, the type the
# README's install command builds (scripts/setup.sh): RelWithDebInfo compiles the modules
# at -O2 (nn and audio are forced to -O3; the acoustic front end had measured 12% more CPU
# time at -O2, bench/README.md, 2026-12-04), so only Release figures say what a user's
# build does.
build_type() {
  local t
  t=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$1/CMakeCache.txt" 2>/dev/null)
  t=${t:-unknown}
  [ "$t" = Release ] ||
    echo "warning: $1 is a '$t' build; users build Release (cmake -S . -B build -DCMAKE_BUILD_TYPE=Release)" >&2
  echo "$t"
}
