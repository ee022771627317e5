file(REMOVE_RECURSE
  "CMakeFiles/emofuse_nn.dir/src/nn/init.c.o"
  "CMakeFiles/emofuse_nn.dir/src/nn/init.c.o.d"
  "libemofuse_nn.a"
  "libemofuse_nn.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/emofuse_nn.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
