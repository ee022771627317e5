file(REMOVE_RECURSE
  "libemofuse_audio.a"
)
