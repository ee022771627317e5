
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/cli/cli_util.c" "CMakeFiles/emofuse.dir/src/cli/cli_util.c.o" "gcc" "CMakeFiles/emofuse.dir/src/cli/cli_util.c.o.d"
  "/work/main/src/cli/cmd_embed.c" "CMakeFiles/emofuse.dir/src/cli/cmd_embed.c.o" "gcc" "CMakeFiles/emofuse.dir/src/cli/cmd_embed.c.o.d"
  "/work/main/src/cli/cmd_features.c" "CMakeFiles/emofuse.dir/src/cli/cmd_features.c.o" "gcc" "CMakeFiles/emofuse.dir/src/cli/cmd_features.c.o.d"
  "/work/main/src/cli/cmd_lld.c" "CMakeFiles/emofuse.dir/src/cli/cmd_lld.c.o" "gcc" "CMakeFiles/emofuse.dir/src/cli/cmd_lld.c.o.d"
  "/work/main/src/cli/cmd_models.c" "CMakeFiles/emofuse.dir/src/cli/cmd_models.c.o" "gcc" "CMakeFiles/emofuse.dir/src/cli/cmd_models.c.o.d"
  "/work/main/src/cli/cmd_tokenize.c" "CMakeFiles/emofuse.dir/src/cli/cmd_tokenize.c.o" "gcc" "CMakeFiles/emofuse.dir/src/cli/cmd_tokenize.c.o.d"
  "/work/main/src/cli/cmd_train.c" "CMakeFiles/emofuse.dir/src/cli/cmd_train.c.o" "gcc" "CMakeFiles/emofuse.dir/src/cli/cmd_train.c.o.d"
  "/work/main/src/cli/main.c" "CMakeFiles/emofuse.dir/src/cli/main.c.o" "gcc" "CMakeFiles/emofuse.dir/src/cli/main.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build/CMakeFiles/emofuse_nn.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/emofuse_text.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/emofuse_audio.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/emofuse_io.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/emofuse_core.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
