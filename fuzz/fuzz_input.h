/* Shared by the file-parsing fuzz targets: the readers take a path, so each input is put
 * in an anonymous memory file (memfd) opened through /proc/self/fd/N, or a private temp
 * file where memfd is missing. Returns the path, or NULL. Header-only: each target is
 * one translation unit. */
#ifndef EMOFUSE_FUZZ_INPUT_H
#define EMOFUSE_FUZZ_INPUT_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((unused)) static const char *fuzz_put_input(const uint8_t *data, size_t size)
{
    static char path[64];
    static int fd = -1;
    if (fd < 0) {
        fd = memfd_create("fuzz-input", MFD_CLOEXEC);
        if (fd >= 0) snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        else {
            snprintf(path, sizeof path, "/tmp/fuzz-input-%d", (int)getpid());
            fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
            if (fd < 0) return NULL;
        }
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) return NULL;
    return path;
}

/* A one-line message that is not empty: the error contract of every reader. */
__attribute__((unused)) static void fuzz_check_message(const char *msg)
{
    if (!msg[0]) abort();
    for (const char *p = msg; *p; p++)
        if (*p == '\n') abort();
}

#endif
