
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/core/atomic_file.c" "CMakeFiles/emofuse_core.dir/src/core/atomic_file.c.o" "gcc" "CMakeFiles/emofuse_core.dir/src/core/atomic_file.c.o.d"
  "/work/main/src/core/parallel.c" "CMakeFiles/emofuse_core.dir/src/core/parallel.c.o" "gcc" "CMakeFiles/emofuse_core.dir/src/core/parallel.c.o.d"
  "/work/main/src/core/progress.c" "CMakeFiles/emofuse_core.dir/src/core/progress.c.o" "gcc" "CMakeFiles/emofuse_core.dir/src/core/progress.c.o.d"
  "/work/main/src/core/rng.c" "CMakeFiles/emofuse_core.dir/src/core/rng.c.o" "gcc" "CMakeFiles/emofuse_core.dir/src/core/rng.c.o.d"
  "/work/main/src/core/status.c" "CMakeFiles/emofuse_core.dir/src/core/status.c.o" "gcc" "CMakeFiles/emofuse_core.dir/src/core/status.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
