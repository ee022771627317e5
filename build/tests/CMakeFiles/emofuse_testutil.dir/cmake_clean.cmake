file(REMOVE_RECURSE
  "CMakeFiles/emofuse_testutil.dir/util/testutil.c.o"
  "CMakeFiles/emofuse_testutil.dir/util/testutil.c.o.d"
  "libemofuse_testutil.a"
  "libemofuse_testutil.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/emofuse_testutil.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
