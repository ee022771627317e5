# Empty dependencies file for emofuse_text.
# This may be replaced when dependencies are built.
