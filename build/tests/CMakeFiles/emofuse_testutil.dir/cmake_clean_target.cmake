file(REMOVE_RECURSE
  "libemofuse_testutil.a"
)
