/* The paper's 4-class label set (angry, happy, sad, neutral) and the mapping from corpus
 * emotion labels onto it, shared by `emofuse train` and `emofuse predict` so that both
 * always agree on what a class is. */
#include <stddef.h>
#include <strings.h>

#include "emofuse/metrics.h"

const char *const ef_emotion4_names[4] = {"angry", "happy", "sad", "neutral"};

/* Excitement counts as happiness (the usual IEMOCAP 4-class setup the paper follows). */
int ef_emotion4_class(const char *label)
{
    static const struct {
        const char *name;
        int cls;
    } names[] = {
        {"angry", 0},   {"anger", 0},      {"ang", 0}, {"happy", 1},   {"happiness", 1}, {"hap", 1},  {"excited", 1},
        {"excitement", 1}, {"exc", 1},     {"sad", 2}, {"sadness", 2}, {"neutral", 3},   {"neu", 3},
    };
    if (!label) return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(label, names[i].name) == 0) return names[i].cls;
    return -1;
}
