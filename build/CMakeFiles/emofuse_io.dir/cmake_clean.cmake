file(REMOVE_RECURSE
  "CMakeFiles/emofuse_io.dir/src/io/csv.c.o"
  "CMakeFiles/emofuse_io.dir/src/io/csv.c.o.d"
  "libemofuse_io.a"
  "libemofuse_io.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/emofuse_io.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
