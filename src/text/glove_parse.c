/* Fast, correctly rounded decimal -> float parsing for GloVe text files (strtof costs most
 * of the build time on a 5 GB file; the GloVe values almost all take the exact fast path). */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include "text/glove_internal.h"

static const float pow10f_exact[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

bool ef_glove_parse_float(const char *s, char **end, float *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '-' || *p == '+') neg = (*p++ == '-');
    uint32_t m = 0;
    int sig = 0, scale = 0, any = 0;
    /* Significant digits: leading zeros are free, at most 7 kept (10^7 < 2^24: exact). */
    while (*p >= '0' && *p <= '9') {
        any = 1;
        if (m || *p != '0') {
            if (++sig > 7) goto slow;
            m = m * 10 + (uint32_t)(*p - '0');
        }
        p++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            any = 1;
            if (m || *p != '0') {
                if (++sig > 7) goto slow;
                m = m * 10 + (uint32_t)(*p - '0');
            }
            scale--;
            p++;
        }
    }
    if (!any) goto slow;
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        int eneg = 0, e = 0, edig = 0;
        if (*q == '-' || *q == '+') eneg = (*q++ == '-');
        while (*q >= '0' && *q <= '9' && e < 1000) {
            e = e * 10 + (*q++ - '0');
            edig++;
        }
        if (!edig || (*q >= '0' && *q <= '9')) goto slow;
        scale += eneg ? -e : e;
        p = q;
    }
    if (scale < -10 || scale > 10) goto slow;
#if FLT_EVAL_METHOD != 0
    goto slow; /* excess precision would round twice: only strtof is exact here */
#endif
    float x = (float)m;
    x = scale < 0 ? x / pow10f_exact[-scale] : x * pow10f_exact[scale];
    *out = neg ? -x : x;
    *end = (char *)p;
    return true;
slow:
    *out = strtof(s, end);
    return *end != s;
}
