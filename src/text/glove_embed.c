/* Text -> one GloVe vector per token, using the BERT basic tokenizer so that the GloVe and
 * BERT systems see the same words (lower-cased, accents stripped, punctuation split). */
#include <stdlib.h>
#include <string.h>

#include "emofuse/glove.h"
#include "emofuse/tokenizer.h"

ef_code ef_glove_embed_text(const ef_glove *g, const char *text, float **rows, int64_t *T, int *n_missing,
                            ef_error *err)
{
    *rows = NULL;
    *T = 0;
    if (n_missing) *n_missing = 0;
    if (!text) return ef_fail(err, EF_ERR_ARG, "glove: text is NULL");
    ef_words w;
    ef_words_init(&w);
    ef_code rc = ef_basic_tokenize(&w, text, strlen(text), err);
    if (rc) {
        ef_words_free(&w);
        return rc;
    }
    size_t D = (size_t)ef_glove_dim(g);
    float *out = NULL;
    int missing = 0;
    if (w.count) {
        out = calloc(w.count * D, sizeof *out);
        if (!out) {
            ef_words_free(&w);
            return ef_fail(err, EF_ERR_NOMEM, "glove: out of memory for %zu tokens", w.count);
        }
        for (size_t t = 0; t < w.count; t++) {
            int64_t i = ef_glove_find(g, w.word[t], w.len[t]);
            if (i < 0)
                missing++; /* row stays zero */
            else
                memcpy(out + t * D, ef_glove_vector(g, i), D * sizeof *out);
        }
    }
    *rows = out;
    *T = (int64_t)w.count;
    if (n_missing) *n_missing = missing;
    ef_words_free(&w);
    return EF_OK;
}
