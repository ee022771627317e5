# Empty compiler generated dependencies file for emofuse_io.
# This may be replaced when dependencies are built.
