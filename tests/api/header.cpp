// emofuse.h compiles as C++ (extern "C", no C-only constructs) and its API is callable.
#include "emofuse/emofuse.h"

static_assert(EMOFUSE_VERSION_NUMBER >= 100, "version macros");

int main()
{
    ef_classifier_params p = ef_classifier_default_params();
    ef_classifier *c = nullptr;
    ef_error err;
    if (ef_classifier_load(&c, "model.safetensors", &p, &err) != EF_OK) return 1;
    ef_result r;
    ef_code rc = ef_classify_file(c, "a.wav", "hello", &r, &err);
    ef_classifier_free(c);
    return rc == EF_OK ? 0 : 1;
}
