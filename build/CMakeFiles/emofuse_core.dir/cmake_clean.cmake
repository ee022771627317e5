file(REMOVE_RECURSE
  "CMakeFiles/emofuse_core.dir/src/core/atomic_file.c.o"
  "CMakeFiles/emofuse_core.dir/src/core/atomic_file.c.o.d"
  "CMakeFiles/emofuse_core.dir/src/core/parallel.c.o"
  "CMakeFiles/emofuse_core.dir/src/core/parallel.c.o.d"
  "CMakeFiles/emofuse_core.dir/src/core/progress.c.o"
  "CMakeFiles/emofuse_core.dir/src/core/progress.c.o.d"
  "CMakeFiles/emofuse_core.dir/src/core/rng.c.o"
  "CMakeFiles/emofuse_core.dir/src/core/rng.c.o.d"
  "CMakeFiles/emofuse_core.dir/src/core/status.c.o"
  "CMakeFiles/emofuse_core.dir/src/core/status.c.o.d"
  "libemofuse_core.a"
  "libemofuse_core.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/emofuse_core.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
