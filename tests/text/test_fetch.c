/* Unit tests of the download helpers that need no server: the two content digests used to
 * verify hub files (SHA-256, git blob SHA-1) against known values, and the error of an
 * unreachable endpoint (connection refused on 127.0.0.1, no retries: no network used).
 * Transport, resume and verification end to end: tests/cli/test_models_fetch.sh. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "emofuse/fetch.h"
#include "testutil.h"

static void write_file(const char *path, const char *data)
{
    FILE *fp = fopen(path, "wb");
    fputs(data, fp);
    fclose(fp);
}

int main(void)
{
    char path[640], hex[65];
    ef_error err = {0};
    snprintf(path, sizeof path, "%s/abc.txt", ef_test_tmpdir());
    write_file(path, "abc");
    /* FIPS 180-2 test vector */
    CHECK(ef_fetch_file_digest(path, "sha256", hex, &err) == EF_OK);
    CHECK_MSG(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0, "%s", hex);
    /* `printf 'hello\n' | git hash-object --stdin` */
    write_file(path, "hello\n");
    CHECK(ef_fetch_file_digest(path, "sha1-git", hex, &err) == EF_OK);
    CHECK_MSG(strcmp(hex, "ce013625030ba8dba906f756967f9e9ca394464a") == 0, "%s", hex);
    /* empty blob: e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 */
    write_file(path, "");
    CHECK(ef_fetch_file_digest(path, "sha1-git", hex, &err) == EF_OK);
    CHECK_MSG(strcmp(hex, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391") == 0, "%s", hex);
    CHECK(ef_fetch_file_digest(path, "md5", hex, &err) == EF_ERR_ARG);
    CHECK(ef_fetch_file_digest("/nonexistent/x", "sha256", hex, &err) == EF_ERR_IO);

    /* Port 1 on loopback: refused at once. */
    ef_fetch_opts o;
    ef_fetch_default_params(&o);
    o.retries = 0;
    o.endpoint = "http://127.0.0.1:1/";
    char dir[512];
    snprintf(dir, sizeof dir, "%s/models", ef_test_tmpdir());
    ef_code rc = ef_fetch_repo_files("bert-base-uncased", ef_fetch_bert_files, 3, dir, &o, NULL, &err);
    CHECK(rc == EF_ERR_NETWORK);
    CHECK_MSG(strstr(err.msg, "http://127.0.0.1:1/bert-base-uncased/resolve/main/config.json: ") == err.msg, "%s",
              err.msg);
    snprintf(path, sizeof path, "%s/config.json", dir);
    CHECK(access(path, F_OK) != 0);
    /* Bad arguments */
    CHECK(ef_fetch_repo_files("../etc", ef_fetch_bert_files, 3, dir, &o, NULL, &err) == EF_ERR_ARG);
    CHECK(ef_fetch_url("http://127.0.0.1:1/x", path, "not-a-hash", &o, NULL, &err) == EF_ERR_ARG);
    CHECK(strstr(err.msg, "neither a 64-hex SHA-256") != NULL);
    return ef_test_exit();
}
