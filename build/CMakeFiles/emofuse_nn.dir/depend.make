# Empty dependencies file for emofuse_nn.
# This may be replaced when dependencies are built.
