file(REMOVE_RECURSE
  "CMakeFiles/emofuse.dir/src/cli/cli_util.c.o"
  "CMakeFiles/emofuse.dir/src/cli/cli_util.c.o.d"
  "CMakeFiles/emofuse.dir/src/cli/cmd_embed.c.o"
  "CMakeFiles/emofuse.dir/src/cli/cmd_embed.c.o.d"
  "CMakeFiles/emofuse.dir/src/cli/cmd_features.c.o"
  "CMakeFiles/emofuse.dir/src/cli/cmd_features.c.o.d"
  "CMakeFiles/emofuse.dir/src/cli/cmd_lld.c.o"
  "CMakeFiles/emofuse.dir/src/cli/cmd_lld.c.o.d"
  "CMakeFiles/emofuse.dir/src/cli/cmd_models.c.o"
  "CMakeFiles/emofuse.dir/src/cli/cmd_models.c.o.d"
  "CMakeFiles/emofuse.dir/src/cli/cmd_tokenize.c.o"
  "CMakeFiles/emofuse.dir/src/cli/cmd_tokenize.c.o.d"
  "CMakeFiles/emofuse.dir/src/cli/cmd_train.c.o"
  "CMakeFiles/emofuse.dir/src/cli/cmd_train.c.o.d"
  "CMakeFiles/emofuse.dir/src/cli/main.c.o"
  "CMakeFiles/emofuse.dir/src/cli/main.c.o.d"
  "emofuse"
  "emofuse.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/emofuse.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
