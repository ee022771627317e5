/* All-or-nothing file output: write to "<path>.tmp.<pid>.<n>" in the same directory,
 * fsync, then rename over <path>. A crash or error leaves either the old file or none,
 * never a partial one. */
#ifndef EMOFUSE_ATOMIC_FILE_H
#define EMOFUSE_ATOMIC_FILE_H

#include <stdbool.h>
#include <stdio.h>

#include "emofuse/status.h"

typedef struct {
    FILE *fp;           /* write through this */
    char *path;         /* final path */
    char *tmp_path;     /* temporary path in the same directory */
} ef_atomic_file;

ef_code ef_atomic_open(ef_atomic_file *af, const char *path, ef_error *err);
/* Flush, fsync and rename into place. Always releases af (on failure removes the temp). */
ef_code ef_atomic_commit(ef_atomic_file *af, ef_error *err);
/* Drop the temporary file; safe to call on a zeroed or already finished af. */
void ef_atomic_abort(ef_atomic_file *af);

/* Convenience: write a whole buffer atomically. */
ef_code ef_atomic_write(const char *path, const void *data, size_t size, ef_error *err);

/* Remove temporary files "<path>.tmp.<pid>.<n>" left by a killed writer: those whose
 * process no longer runs here and that nobody touched for 10 minutes (a writer on
 * another machine of a shared file system keeps its file fresh). Returns how many. */
int ef_atomic_remove_stale(const char *path);

/* An exclusive advisory lock (flock) on "<path>.lock", so two processes never write one
 * output at once. Fails at once, naming the process that holds it. */
typedef struct {
    int fd;
} ef_file_lock;
ef_code ef_file_lock_acquire(ef_file_lock *lk, const char *path, ef_error *err);
void ef_file_lock_release(ef_file_lock *lk);

/* True when a and b name the same existing file (same device and inode, symlinks
 * followed), so a write to one would destroy the other. */
bool ef_same_file(const char *a, const char *b);
/* EF_ERR_ARG "<out>: is also the input <input>; refusing to overwrite it" when out is the
 * same file as any of the n inputs (NULL entries are skipped). */
ef_code ef_check_output_not_input(const char *out, const char *const *inputs, int n, ef_error *err);

/* Create a directory and its parents (like mkdir -p). */
ef_code ef_mkdir_p(const char *path, ef_error *err);

#endif
