file(REMOVE_RECURSE
  "libemofuse_io.a"
)
