# Empty dependencies file for emofuse_audio.
# This may be replaced when dependencies are built.
