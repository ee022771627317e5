# Empty compiler generated dependencies file for emofuse_testutil.
# This may be replaced when dependencies are built.
