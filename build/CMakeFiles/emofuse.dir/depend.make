# Empty dependencies file for emofuse.
# This may be replaced when dependencies are built.
