file(REMOVE_RECURSE
  "CMakeFiles/emofuse_text.dir/src/text/text_module.c.o"
  "CMakeFiles/emofuse_text.dir/src/text/text_module.c.o.d"
  "libemofuse_text.a"
  "libemofuse_text.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/emofuse_text.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
