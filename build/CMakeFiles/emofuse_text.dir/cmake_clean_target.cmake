file(REMOVE_RECURSE
  "libemofuse_text.a"
)
