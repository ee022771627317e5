file(REMOVE_RECURSE
  "libemofuse_core.a"
)
