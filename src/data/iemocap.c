/* IEMOCAP_full_release reader. Labels come from the utterance header lines of
 * SessionN/dialog/EmoEvaluation/<dialog>.txt (annotator lines, '%' lines and the
 * Categorical/Attribute/Self-evaluation subfolders are not read), transcripts from
 * dialog/transcriptions/<dialog>.txt, audio from sentences/wav/<dialog>/<id>.wav.
 * See docs/corpora.md for the pitfalls this handles (nested tarball folders, AppleDouble
 * files, the dialogue lead letter that is not the speaker, non-speech tags). */
#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/corpus_internal.h"

#define IEMOCAP_DEFAULT_MAP "ang=angry,hap=happy,exc=happy,sad=sad,neu=neutral"
#define ROOT_SEARCH_DEPTH 4

/* One utterance header line, before mapping. */
typedef struct {
    char *id, *label;
    char *file;       /* EmoEvaluation file (for messages) */
    int line;
    int session;
} header;

typedef struct {
    header *h;
    int64_t n, cap;
} header_list;

static void headers_free(header_list *l)
{
    for (int64_t i = 0; i < l->n; i++) {
        free(l->h[i].id);
        free(l->h[i].label);
        free(l->h[i].file);
    }
    free(l->h);
}

/* A folder is an IEMOCAP root when one of Session1..5 has dialog/EmoEvaluation. */
static bool is_root(const char *dir)
{
    char path[PATH_MAX];
    for (int s = 1; s <= 5; s++) {
        if (corpus_fmt(path, sizeof path, "%s/Session%d/dialog/EmoEvaluation", dir, s) && corpus_is_dir(path))
            return true;
    }
    return false;
}

/* Breadth-first search below `dir` (sorted names, so the same tree gives the same root). */
static ef_code find_root(const char *dir, char *out, ef_error *err)
{
    char *level[256];
    int n = 0;
    if (!corpus_is_dir(dir)) return ef_fail(err, EF_ERR_IO, "%s: not a folder", dir);
    level[n++] = strdup(dir);
    for (int depth = 0; depth <= ROOT_SEARCH_DEPTH && n > 0; depth++) {
        char *next[256];
        int m = 0;
        bool found = false;
        for (int i = 0; i < n; i++) {
            if (!found && level[i] && is_root(level[i])) {
                snprintf(out, PATH_MAX, "%s", level[i]);
                found = true;
            }
            if (found || !level[i] || depth == ROOT_SEARCH_DEPTH) continue;
            char **names;
            int k;
            ef_error ignore;
            if (corpus_list_dir(level[i], &names, &k, &ignore)) continue;
            for (int j = 0; j < k && m < 256; j++) {
                char *sub = corpus_join(level[i], names[j]);
                if (sub && corpus_is_dir(sub)) next[m++] = sub;
                else free(sub);
            }
            corpus_free_names(names, k);
        }
        for (int i = 0; i < n; i++) free(level[i]);
        if (found) {
            for (int i = 0; i < m; i++) free(next[i]);
            return EF_OK;
        }
        memcpy(level, next, sizeof *next * (size_t)m);
        n = m;
    }
    for (int i = 0; i < n; i++) free(level[i]);
    return ef_fail(err, EF_ERR_FORMAT,
                   "%s: no IEMOCAP layout found (expected Session1..Session5/dialog/EmoEvaluation in this folder "
                   "or up to %d levels below)", dir, ROOT_SEARCH_DEPTH);
}

/* "Ses01F_script03_2_M014": session 1, dialog "Ses01F_script03_2", gender 'M'. */
static bool parse_id(const char *id, int *session, char *dialog, size_t dn, char *gender)
{
    if (strncmp(id, "Ses", 3) != 0 || !isdigit((unsigned char)id[3]) || !isdigit((unsigned char)id[4])) return false;
    if (id[5] != 'F' && id[5] != 'M') return false;
    const char *last = strrchr(id, '_');
    if (!last || last < id + 6 || (last[1] != 'F' && last[1] != 'M') || !isdigit((unsigned char)last[2]))
        return false;
    for (const char *p = last + 2; *p; p++)
        if (!isdigit((unsigned char)*p)) return false;
    *session = (id[3] - '0') * 10 + (id[4] - '0');
    if ((size_t)(last - id) >= dn) return false;
    snprintf(dialog, dn, "%.*s", (int)(last - id), id);
    *gender = last[1];
    return *session >= 1 && *session <= 5;
}

/* "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]" -> id, label. */
static bool parse_header(char *line, char **id, char **label)
{
    if (line[0] != '[') return false;
    char *p = strchr(line, ']');
    if (!p || !strchr(line, '-') || strchr(line, '-') > p) return false;
    p++;
    while (*p == ' ' || *p == '\t') p++;
    *id = p;
    while (*p && *p != ' ' && *p != '\t') p++;
    if (!*p) return false;
    *p++ = '\0';
    while (*p == ' ' || *p == '\t') p++;
    *label = p;
    while (*p && *p != ' ' && *p != '\t') p++;
    if (!*p) return false;
    *p++ = '\0';
    while (*p == ' ' || *p == '\t') p++;
    return *p == '[' && **id && **label;
}

static ef_code read_evaluation(const char *path, int session, header_list *out, int64_t *skipped, ef_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return ef_fail(err, EF_ERR_IO, "%s: cannot open: %m", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;
    ef_code rc = EF_OK;
    while (!rc && (len = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (line[0] != '[') continue; /* '%' lines, annotator lines (C-E2:, A-E3:), blanks */
        char *id, *label;
        if (!parse_header(line, &id, &label)) {
            (*skipped)++;
            continue;
        }
        int s;
        char dialog[256], g;
        if (!parse_id(id, &s, dialog, sizeof dialog, &g)) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%d: '%s' is not an IEMOCAP utterance id (SesNN[FM]_..._[FM]NNN)",
                         path, lineno, id);
            break;
        }
        if (out->n == out->cap) {
            int64_t nc = out->cap ? 2 * out->cap : 4096;
            header *nh = realloc(out->h, sizeof *nh * (size_t)nc);
            if (!nh) {
                rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            out->h = nh;
            out->cap = nc;
        }
        header *h = &out->h[out->n];
        *h = (header){strdup(id), strdup(label), strdup(path), lineno, session};
        out->n++;
        if (!h->id || !h->label || !h->file) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    }
    if (!rc && ferror(fp)) rc = ef_fail(err, EF_ERR_IO, "%s: read error: %s", path, strerror(errno));
    free(line);
    fclose(fp);
    return rc;
}

/* Remove non-speech tags ("[LAUGHTER]", "[BREATHING]", "[GARBAGE]": '[' letters/_ ']'),
 * then collapse the spaces they leave. */
static void clean_transcript(char *s)
{
    char *w = s;
    for (char *p = s; *p;) {
        if (*p == '[') {
            char *q = p + 1;
            while (isalpha((unsigned char)*q) || *q == '_') q++;
            if (*q == ']' && q > p + 1) {
                p = q + 1;
                continue;
            }
        }
        *w++ = *p++;
    }
    *w = '\0';
    corpus_squeeze_spaces(s);
}

typedef struct {
    char *id, *text;
} transcript;

typedef struct {
    transcript *t;
    int n, cap;
} transcript_list;

static void transcripts_free(transcript_list *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->t[i].id);
        free(l->t[i].text);
    }
    free(l->t);
    memset(l, 0, sizeof *l);
}

/* "Ses01F_impro01_F000 [006.2901-008.2357]: Excuse me." ; other lines are skipped. A
 * missing file leaves the list empty (the utterances are counted as untranscribed). */
static ef_code read_transcripts(const char *path, transcript_list *out, ef_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return EF_OK;
    char *line = NULL;
    size_t cap = 0;
    ef_code rc = EF_OK;
    while (!rc && getline(&line, &cap, fp) >= 0) {
        char *p = line;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') p++;
        if (p == line || (*p != ' ' && *p != '\t')) continue;
        char *id_end = p;
        while (*p == ' ' || *p == '\t') p++;
        if (*p != '[') continue;
        char *q = p + 1;
        while (isdigit((unsigned char)*q) || *q == '.' || *q == '-') q++;
        if (q == p + 1 || q[0] != ']' || q[1] != ':') continue;
        *id_end = '\0';
        if (out->n == out->cap) {
            int nc = out->cap ? 2 * out->cap : 64;
            transcript *nt = realloc(out->t, sizeof *nt * (size_t)nc);
            if (!nt) {
                rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            out->t = nt;
            out->cap = nc;
        }
        out->t[out->n] = (transcript){strdup(line), strdup(q + 2)};
        if (!out->t[out->n].id || !out->t[out->n].text) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
        else clean_transcript(out->t[out->n].text);
        out->n++;
    }
    if (!rc && ferror(fp)) rc = ef_fail(err, EF_ERR_IO, "%s: read error: %s", path, strerror(errno));
    free(line);
    fclose(fp);
    return rc;
}

static const char *find_transcript(const transcript_list *l, const char *id)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->t[i].id, id) == 0) return l->t[i].text;
    return NULL;
}

static int cmp_header_id(const void *a, const void *b)
{
    const header *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c) return c;
    c = strcmp(x->file, y->file);
    return c ? c : x->line - y->line;
}

/* Every header line of every session, in file order. */
static ef_code read_all_headers(const char *root, header_list *hl, ef_corpus_summary *sum, ef_error *err)
{
    for (int s = 1; s <= 5; s++) {
        char dir[PATH_MAX];
        if (!corpus_fmt(dir, sizeof dir, "%s/Session%d/dialog/EmoEvaluation", root, s))
            return ef_fail(err, EF_ERR_ARG, "%s: path too long", root);
        if (!corpus_is_dir(dir)) continue;
        sum->sessions_found |= 1 << (s - 1);
        char **names;
        int n;
        ef_code rc = corpus_list_dir(dir, &names, &n, err);
        if (rc) return rc;
        for (int i = 0; i < n && !rc; i++) {
            size_t len = strlen(names[i]);
            if (len < 5 || strcmp(names[i] + len - 4, ".txt") != 0) continue;
            char *path = corpus_join(dir, names[i]);
            if (!path) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", dir);
            else if (corpus_is_file(path)) rc = read_evaluation(path, s, hl, &sum->skipped_lines, err);
            free(path);
        }
        corpus_free_names(names, n);
        if (rc) return rc;
    }
    return EF_OK;
}

ef_code ef_corpus_read_iemocap(ef_corpus **out, const char *dir, const ef_corpus_params *p, ef_error *err)
{
    *out = NULL;
    char found[PATH_MAX], root[PATH_MAX];
    ef_code rc = find_root(dir, found, err);
    if (rc) return rc;
    if (!realpath(found, root)) return ef_fail(err, EF_ERR_IO, "%s: cannot resolve: %m", found);
    ef_label_map *defaults = NULL;
    rc = ef_label_map_parse(&defaults, IEMOCAP_DEFAULT_MAP, "IEMOCAP default labels", err);
    if (rc) return rc;
    static const char *const cols[] = {"id", "audio", "speaker", "emotion", "transcript", "session", "dialog", "script"};
    ef_corpus *c = NULL;
    header_list hl = {0};
    transcript_list tl = {0};
    char tl_dialog[256] = "";
    rc = corpus_new(&c, cols, 8, err);
    if (!rc) {
        snprintf(c->summary.root, sizeof c->summary.root, "%s", root);
        rc = read_all_headers(root, &hl, &c->summary, err);
    }
    if (!rc && hl.n == 0)
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: the EmoEvaluation folders hold no utterance header lines", root);
    if (!rc) {
        /* Sorted by id (then file, line): a duplicate's second occurrence follows its first. */
        qsort(hl.h, (size_t)hl.n, sizeof *hl.h, cmp_header_id);
        for (int64_t i = 1; i < hl.n && !rc; i++)
            if (strcmp(hl.h[i].id, hl.h[i - 1].id) == 0)
                rc = ef_fail(err, EF_ERR_FORMAT, "%s:%d: utterance '%s' is listed again (first at %s:%d)",
                             hl.h[i].file, hl.h[i].line, hl.h[i].id, hl.h[i - 1].file, hl.h[i - 1].line);
    }
    for (int64_t i = 0; i < hl.n && !rc; i++) {
        const header *h = &hl.h[i];
        int s;
        char dialog[256], g;
        parse_id(h->id, &s, dialog, sizeof dialog, &g); /* validated when read */
        char audio[PATH_MAX];
        if (!corpus_fmt(audio, sizeof audio, "%s/Session%d/sentences/wav/%s/%s.wav", root, h->session, dialog, h->id)) {
            rc = ef_fail(err, EF_ERR_ARG, "%s:%d: audio path too long", h->file, h->line);
            break;
        }
        if (!corpus_is_file(audio)) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%d: no audio for utterance '%s' (%s does not exist)", h->file,
                         h->line, h->id, audio);
            break;
        }
        const char *emotion = corpus_map_label(p, defaults, h->label);
        if (!emotion) {
            corpus_count_label(c->summary.dropped, &c->summary.n_dropped, h->label);
            continue;
        }
        if (strcmp(tl_dialog, dialog) != 0) {
            /* Headers are sorted by id, so one dialogue's utterances come together. */
            transcripts_free(&tl);
            char tpath[PATH_MAX];
            if (!corpus_fmt(tpath, sizeof tpath, "%s/Session%d/dialog/transcriptions/%s.txt", root, h->session,
                            dialog)) {
                rc = ef_fail(err, EF_ERR_ARG, "%s:%d: transcript path too long", h->file, h->line);
                break;
            }
            rc = read_transcripts(tpath, &tl, err);
            if (rc) break;
            snprintf(tl_dialog, sizeof tl_dialog, "%s", dialog);
        }
        const char *text = find_transcript(&tl, h->id);
        if (!text || !*text) c->summary.missing_transcripts++;
        char speaker[16], session[8], script[16] = "";
        snprintf(speaker, sizeof speaker, "Ses%02d_%c", s, g);
        snprintf(session, sizeof session, "%d", s);
        const char *sc = strstr(dialog, "script");
        if (sc) snprintf(script, sizeof script, "%ld", strtol(sc + 6, NULL, 10));
        const char *row[8] = {h->id, audio, speaker, emotion, text ? text : "", session, dialog, script};
        rc = corpus_add_row(c, row, err);
    }
    transcripts_free(&tl);
    headers_free(&hl);
    ef_label_map_free(defaults);
    if (rc) {
        ef_corpus_free(c);
        return rc;
    }
    corpus_finish(c, 3);
    *out = c;
    return EF_OK;
}
