/* Temp-file-then-rename output so that interrupted runs never leave partial files. */
#include "emofuse/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <time.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_uint tmp_counter;

ef_code ef_atomic_open(ef_atomic_file *af, const char *path, ef_error *err)
{
    memset(af, 0, sizeof *af);
    size_t n = strlen(path) + 64;
    af->path = strdup(path);
    af->tmp_path = malloc(n);
    if (!af->path || !af->tmp_path) {
        ef_atomic_abort(af);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(af->tmp_path, n, "%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&tmp_counter, 1));
    af->fp = fopen(af->tmp_path, "wb");
    if (!af->fp) {
        int e = errno;
        free(af->path);
        free(af->tmp_path);
        memset(af, 0, sizeof *af);
        return ef_fail(err, EF_ERR_IO, "%s: cannot create: %s", path, strerror(e));
    }
    return EF_OK;
}

void ef_atomic_abort(ef_atomic_file *af)
{
    if (af->fp) fclose(af->fp);
    if (af->tmp_path) unlink(af->tmp_path);
    free(af->path);
    free(af->tmp_path);
    memset(af, 0, sizeof *af);
}

ef_code ef_atomic_commit(ef_atomic_file *af, ef_error *err)
{
    ef_code rc = EF_OK;
    if (fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) != 0) {
        rc = ef_fail(err, EF_ERR_IO, "%s: write failed: %s", af->path, strerror(errno));
    }
    if (fclose(af->fp) != 0 && rc == EF_OK) {
        rc = ef_fail(err, EF_ERR_IO, "%s: write failed: %s", af->path, strerror(errno));
    }
    af->fp = NULL;
    if (rc == EF_OK && rename(af->tmp_path, af->path) != 0) {
        rc = ef_fail(err, EF_ERR_IO, "%s: cannot rename into place: %s", af->path, strerror(errno));
    }
    if (rc != EF_OK) unlink(af->tmp_path);
    free(af->path);
    free(af->tmp_path);
    memset(af, 0, sizeof *af);
    return rc;
}

ef_code ef_atomic_write(const char *path, const void *data, size_t size, ef_error *err)
{
    ef_atomic_file af;
    ef_code rc = ef_atomic_open(&af, path, err);
    if (rc) return rc;
    if (size && fwrite(data, 1, size, af.fp) != size) {
        int e = errno;
        ef_atomic_abort(&af);
        return ef_fail(err, EF_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    return ef_atomic_commit(&af, err);
}

ef_code ef_mkdir_p(const char *path, ef_error *err)
{
    /* The walk below starts at path + 1: an empty path would read past its end. */
    if (!path || !*path) return ef_fail(err, EF_ERR_ARG, "mkdir: empty directory path");
    char *p = strdup(path);
    if (!p) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                ef_code rc = ef_fail(err, EF_ERR_IO, "%s: cannot create directory: %s", p, strerror(e));
                free(p);
                return rc;
            }
            *s = c;
            if (c == '\0') break;
        }
    }
    free(p);
    struct stat stt;
    if (stat(path, &stt) != 0 || !S_ISDIR(stt.st_mode))
        return ef_fail(err, EF_ERR_IO, "%s: not a directory", path);
    return EF_OK;
}

bool ef_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0) return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

ef_code ef_check_output_not_input(const char *out, const char *const *inputs, int n, ef_error *err)
{
    for (int i = 0; i < n; i++)
        if (inputs[i] && ef_same_file(out, inputs[i]))
            return ef_fail(err, EF_ERR_ARG, "%s: is also the input %s; refusing to overwrite it", out, inputs[i]);
    return EF_OK;
}

int ef_atomic_remove_stale(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if (slash == path) snprintf(dir, sizeof dir, "/");
    const char *base = slash ? slash + 1 : path;
    size_t bl = strlen(base);
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, base, bl) != 0 || strncmp(e->d_name + bl, ".tmp.", 5) != 0) continue;
        char *end;
        long pid = strtol(e->d_name + bl + 5, &end, 10);
        if (pid <= 0 || *end != '.') continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive (or not ours to judge) */
        char full[8192];
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(full, &st) == 0 && time(NULL) - st.st_mtime > 600 && unlink(full) == 0) removed++;
    }
    closedir(d);
    return removed;
}

ef_code ef_file_lock_acquire(ef_file_lock *lk, const char *path, ef_error *err)
{
    char lp[4200];
    snprintf(lp, sizeof lp, "%s.lock", path);
    lk->fd = open(lp, O_RDWR | O_CREAT, 0644);
    if (lk->fd < 0) return ef_fail(err, EF_ERR_IO, "%s: cannot create the lock file: %s", lp, strerror(errno));
    if (flock(lk->fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = "";
        ssize_t n = pread(lk->fd, buf, sizeof buf - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\r\n")] = '\0'; /* the pid line's newline */
        close(lk->fd);
        lk->fd = -1;
        return ef_fail(err, EF_ERR_IO, "%s: is being written by process %s (lock %s); wait for it or stop it", path,
                       buf[0] ? buf : "?", lp);
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(lk->fd, 0) != 0 || pwrite(lk->fd, pid, (size_t)n, 0) != n) {
        /* The lock holds anyway; only the message for others would lack the pid. */
    }
    return EF_OK;
}

void ef_file_lock_release(ef_file_lock *lk)
{
    if (lk->fd >= 0) close(lk->fd); /* closing drops the flock */
    lk->fd = -1;
}
