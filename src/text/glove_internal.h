/* Helpers shared by the GloVe index builder and reader (src/text/glove_*.c only). */
#ifndef EMOFUSE_TEXT_GLOVE_INTERNAL_H
#define EMOFUSE_TEXT_GLOVE_INTERNAL_H

#include <stdbool.h>

/* Parse one decimal float at s (NUL- or space-terminated field), correctly rounded like
 * strtof: a fast exact path for the short decimals GloVe files hold (<= 7 significant
 * digits, power of ten <= 10: both operands are exact floats, so one IEEE multiply or
 * divide rounds correctly), strtof for everything else. Sets *end past the number.
 * Returns false when no number starts at s. */
bool ef_glove_parse_float(const char *s, char **end, float *out);

#endif
