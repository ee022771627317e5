# Empty dependencies file for emofuse_core.
# This may be replaced when dependencies are built.
