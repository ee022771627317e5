/* ef_mkdir_p at its edges: ef_mkdir_p("") used to start its walk one byte past the
 * end of the copied path (heap over-read, and mkdir of whatever bytes followed). */
#include <string.h>

#include "emofuse/atomic_file.h"
#include "testutil.h"

int main(void)
{
    ef_error err = {0};
    CHECK(ef_mkdir_p("", &err) == EF_ERR_ARG);
    CHECK_MSG(strstr(err.msg, "empty") != NULL, "%s", err.msg);
    CHECK(ef_mkdir_p("", NULL) == EF_ERR_ARG);
    /* Still fine for real paths, including "/" and a trailing slash. */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/r1/r2/", ef_test_tmpdir());
    CHECK_MSG(ef_mkdir_p(dir, &err) == EF_OK, "%s", err.msg);
    CHECK_MSG(ef_mkdir_p("/", &err) == EF_OK, "%s", err.msg);
    return ef_test_exit();
}
