/* The smallest program using emofuse: load a model, classify one WAV file with its
 * transcript, print "file,label,p_<class>..." as one CSV row (the numbers of
 * `emofuse classify --csv`).
 *
 *   cc classify.c $(pkg-config --cflags --libs emofuse) -o classify
 *   ./classify model.safetensors utterance.wav "I can't believe you did that"
 */
#include <stdio.h>

#include <emofuse/emofuse.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s MODEL AUDIO TRANSCRIPT\n", argv[0]);
        return 2;
    }
    ef_classifier_params params = ef_classifier_default_params(); /* BERT folder: as recorded */
    ef_classifier *c;
    ef_error err;
    if (ef_classifier_load(&c, argv[1], &params, &err) != EF_OK) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    ef_result r;
    if (ef_classify_file(c, argv[2], argv[3], &r, &err) != EF_OK) {
        fprintf(stderr, "error: %s\n", err.msg);
        ef_classifier_free(c);
        return 1;
    }
    printf("%s,%s", argv[2], ef_classifier_label(c, r.label));
    for (int k = 0; k < ef_classifier_n_classes(c); k++) printf(",%.9g", (double)r.probs[k]);
    printf("\n");
    ef_classifier_free(c);
    return 0;
}
