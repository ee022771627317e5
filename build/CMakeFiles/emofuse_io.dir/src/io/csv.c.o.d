CMakeFiles/emofuse_io.dir/src/io/csv.c.o: /work/main/src/io/csv.c \
 /usr/include/stdc-predef.h
