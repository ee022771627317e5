/* emofuse corpus iemocap|msp-podcast|manifest: read a corpus into a manifest CSV (the
 * readers live in the data module; this file parses options and prints what was read). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "emofuse/corpus.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse corpus iemocap DIR -o MANIFEST.csv [options]\n"
            "       emofuse corpus msp-podcast DIR -o MANIFEST.csv [options]\n"
            "       emofuse corpus manifest IN.csv -o MANIFEST.csv --label-map FILE [options]\n\n"
            "Reads a corpus into a manifest (id, audio, speaker, emotion, transcript, ...):\n"
            "  iemocap      DIR holds Session1..5/ or any folder above it; adds session, dialog,\n"
            "               script. A full copy gives 5531 utterances (1103 angry, 1636 happy,\n"
            "               1084 sad, 1708 neutral)\n"
            "  msp-podcast  DIR holds Labels/labels_consensus.csv (or labels_concensus.csv),\n"
            "               Audios/ and Transcripts/; adds split and gender\n"
            "  manifest     a manifest you wrote: labels mapped, every kept row's audio checked\n\n"
            "  -o, --out FILE        manifest to write (atomically; audio paths relative to its\n"
            "                        folder when they lie inside it)\n"
            "  --label-map FILE      lines raw=class; labels not listed are dropped and counted\n"
            "                        (default: the 4 classes angry, happy, sad, neutral; IEMOCAP\n"
            "                        exc counts as happy)\n"
            "  --all-labels          keep every utterance with its raw label\n"
            "  --label-column NAME   manifest: the column of raw labels (default emotion)\n");
}

static void print_summary(const ef_corpus *c, const char *out)
{
    const ef_corpus_summary *s = ef_corpus_get_summary(c);
    fprintf(stderr, "corpus: %s\n", s->root);
    if (s->sessions_found && s->sessions_found != 0x1f) {
        fprintf(stderr, "warning: only sessions");
        for (int i = 0; i < 5; i++)
            if (s->sessions_found & (1 << i)) fprintf(stderr, " %d", i + 1);
        fprintf(stderr, " found (IEMOCAP has 5)\n");
    }
    if (s->n_dropped) {
        fprintf(stderr, "dropped:");
        for (int i = 0; i < s->n_dropped; i++)
            fprintf(stderr, "%s %s %lld", i ? "," : "", s->dropped[i].name, (long long)s->dropped[i].count);
        fprintf(stderr, "\n");
    }
    if (s->skipped_lines)
        fprintf(stderr, "warning: %lld header-like lines did not parse and were skipped\n", (long long)s->skipped_lines);
    if (s->missing_transcripts)
        fprintf(stderr, "%lld utterances have no transcript (empty transcript written)\n",
                (long long)s->missing_transcripts);
    fprintf(stderr, "wrote %s: %lld utterances (", out, (long long)s->rows);
    for (int i = 0; i < s->n_kept; i++)
        fprintf(stderr, "%s%s %lld", i ? ", " : "", s->kept[i].name, (long long)s->kept[i].count);
    fprintf(stderr, ")\n");
}

int cmd_corpus(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (cli_is_help(argv[1])) {
        usage(stdout);
        return 0;
    }
    const char *kind = argv[1];
    const char *out = NULL, *map_path = NULL;
    ef_corpus_params p = ef_corpus_default_params();
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"label-map", required_argument, 0, 'L'},
                                         {"all-labels", no_argument, 0, 'a'},
                                         {"label-column", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    /* argv[1] is the corpus kind: parse from there so DIR can come before or after -o. */
    while ((c = cli_getopt(argc - 1, argv + 1, "o:h", opts, "corpus")) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'L': map_path = optarg; break;
        case 'a': p.all_labels = true; break;
        case 'c': p.label_column = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind + 1 != argc - 1)
        return cli_usage_error("corpus %s: expected one input folder or file (see emofuse corpus --help)", kind);
    const char *in = argv[optind + 1];
    if (!out) return cli_usage_error("corpus %s: -o MANIFEST.csv is required", kind);
    if (cli_output_clobbers_input(out, in, map_path, CLI_END)) return 2;
    if (p.all_labels && map_path) return cli_usage_error("corpus: --all-labels and --label-map exclude each other");
    ef_code (*read)(ef_corpus **, const char *, const ef_corpus_params *, ef_error *) = NULL;
    if (strcmp(kind, "iemocap") == 0) read = ef_corpus_read_iemocap;
    else if (strcmp(kind, "msp-podcast") == 0) read = ef_corpus_read_msp_podcast;
    else if (strcmp(kind, "manifest") == 0) read = ef_corpus_read_manifest;
    else return cli_usage_error("corpus: unknown corpus '%s' (iemocap, msp-podcast, manifest)", kind);
    ef_error err = {0};
    ef_label_map *map = NULL;
    if (map_path && ef_label_map_load(&map, map_path, &err)) return cli_fail(&err);
    p.label_map = map;
    ef_corpus *corpus = NULL;
    ef_code rc = read(&corpus, in, &p, &err);
    if (!rc && ef_corpus_rows(corpus) == 0)
        rc = ef_fail(&err, EF_ERR_FORMAT, "%s: no utterance has a kept label (nothing to write)", in);
    if (!rc) rc = ef_corpus_write(corpus, out, &err);
    if (!rc) print_summary(corpus, out);
    ef_corpus_free(corpus);
    ef_label_map_free(map);
    return rc ? cli_fail(&err) : 0;
}
