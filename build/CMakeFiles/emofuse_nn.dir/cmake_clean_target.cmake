file(REMOVE_RECURSE
  "libemofuse_nn.a"
)
