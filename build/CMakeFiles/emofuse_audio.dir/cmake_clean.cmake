file(REMOVE_RECURSE
  "CMakeFiles/emofuse_audio.dir/src/audio/lld_params.c.o"
  "CMakeFiles/emofuse_audio.dir/src/audio/lld_params.c.o.d"
  "libemofuse_audio.a"
  "libemofuse_audio.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/emofuse_audio.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
