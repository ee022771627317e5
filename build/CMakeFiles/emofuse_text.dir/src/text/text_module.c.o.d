CMakeFiles/emofuse_text.dir/src/text/text_module.c.o: \
 /work/main/src/text/text_module.c /usr/include/stdc-predef.h
