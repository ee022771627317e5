/* GloVe text through zlib: gzip input is decompressed in-process (zlib's gzread behind a
 * glibc fopencookie stream), so the builder's getline loop reads compressed and plain
 * text alike, and a truncated or corrupt .gz is a read error rather than a short file. */
#define _GNU_SOURCE /* fopencookie */
#include "text/glove_text_open.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static ssize_t gz_cookie_read(void *cookie, char *buf, size_t size)
{
    glove_text *t = cookie;
    int got = gzread((gzFile)t->gz, buf, size > INT_MAX ? INT_MAX : (unsigned)size);
    int code = Z_OK;
    const char *msg = got <= 0 ? gzerror((gzFile)t->gz, &code) : NULL;
    /* A truncated file is not a read error to gzread: it hands out what decompressed and
     * then reports end of file, with Z_BUF_ERROR in gzerror. Here it is an error. */
    if (got < 0 || (got == 0 && code == Z_BUF_ERROR)) {
        snprintf(t->gz_error, sizeof t->gz_error, "%s", msg && *msg ? msg : "decompression failed");
        errno = EIO;
        return -1;
    }
    return got;
}

static int gz_cookie_close(void *cookie)
{
    glove_text *t = cookie;
    int rc = gzclose_r((gzFile)t->gz);
    t->gz = NULL;
    return rc == Z_OK ? 0 : -1;
}

static int is_gzip(FILE *fp)
{
    unsigned char magic[2];
    size_t n = fread(magic, 1, 2, fp);
    rewind(fp);
    return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

ef_code glove_text_open(glove_text *t, const char *path, ef_error *err)
{
    memset(t, 0, sizeof *t);
    FILE *fp = fopen(path, "rb");
    if (!fp) return ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(fp);
        return ef_fail(err, EF_ERR_IO, "%s: is a directory, not a GloVe text file", path);
    }
    if (!is_gzip(fp)) {
        t->total = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
        setvbuf(fp, NULL, _IOFBF, 1 << 20);
        t->fp = fp;
        return EF_OK;
    }
    /* zlib takes over the descriptor; fclose below must not close it under zlib. */
    int fd = dup(fileno(fp));
    fclose(fp);
    gzFile gz = fd >= 0 ? gzdopen(fd, "rb") : NULL;
    if (!gz) {
        if (fd >= 0) close(fd);
        return ef_fail(err, EF_ERR_NOMEM, "%s: cannot start gzip decompression", path);
    }
    gzbuffer(gz, 1 << 20);
    t->gz = gz;
    cookie_io_functions_t io = {.read = gz_cookie_read, .close = gz_cookie_close};
    t->fp = fopencookie(t, "rb", io);
    if (!t->fp) {
        gzclose_r(gz);
        t->gz = NULL;
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    }
    setvbuf(t->fp, NULL, _IOFBF, 1 << 20);
    return EF_OK;
}

const char *glove_text_close(glove_text *t)
{
    if (t->fp) fclose(t->fp);
    t->fp = NULL;
    return t->gz_error[0] ? t->gz_error : NULL;
}
