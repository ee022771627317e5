/* ef_json_parse_strict / ef_json_load_strict (issue 11): everything json-c lets through in
 * a hand-written config is an error with line and column (trailing garbage, a second
 * object, comments, single quotes, trailing commas, duplicate keys at any depth, NaN);
 * valid JSON, including keys repeated in different objects, still parses; the model
 * config reader and the loader (directory, size bound) use it. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emofuse/json_strict.h"
#include "emofuse/nn_model.h"
#include "testutil.h"

static void expect_bad(const char *text, const char *where, const char *cause)
{
    json_object *o = (json_object *)1;
    ef_error err = {0};
    ef_code rc = ef_json_parse_strict(&o, text, strlen(text), "cfg.json", &err);
    CHECK_MSG(rc == EF_ERR_FORMAT && o == NULL, "accepted: %s", text);
    char want[64];
    snprintf(want, sizeof want, "cfg.json:%s: ", where);
    CHECK_MSG(strncmp(err.msg, want, strlen(want)) == 0, "'%s': message '%s' does not start with '%s'", text, err.msg,
              want);
    CHECK_MSG(strstr(err.msg, cause) != NULL, "'%s': message '%s' lacks '%s'", text, err.msg, cause);
}

static void expect_good(const char *text)
{
    json_object *o = NULL;
    ef_error err = {0};
    ef_code rc = ef_json_parse_strict(&o, text, strlen(text), "cfg.json", &err);
    CHECK_MSG(rc == EF_OK && o != NULL, "'%s' refused: %s", text, err.msg);
    json_object_put(o);
}

/* Two threads parse at once: one object of 200 distinct keys in ascending order, one whose
 * 200 keys sit at the same offsets and repeat its first 100 in the same order (each
 * duplicate 100 keys from its twin). Each must get its own answer every time. A reader
 * that kept the text it sorts keys of in a file-level variable (qsort has no context
 * argument) sorted the second object by the first one's keys at times: the twins never
 * met, and the duplicate went unreported. */
#define N_KEYS 200
typedef struct {
    bool dup;
    int wrong;
} parse_job;

static void make_keys(char *buf, bool dup)
{
    strcpy(buf, "{");
    for (int k = 0; k < N_KEYS; k++)
        sprintf(buf + strlen(buf), "%s\"%c%03d\": 0", k ? ", " : "", dup ? 'b' : 'a', dup ? k % (N_KEYS / 2) : k);
    strcat(buf, "}");
}

static void *parse_many(void *arg)
{
    parse_job *j = arg;
    char text[N_KEYS * 12 + 8];
    make_keys(text, j->dup);
    for (int i = 0; i < 4000; i++) {
        json_object *o = NULL;
        ef_error err;
        ef_code rc = ef_json_parse_strict(&o, text, strlen(text), "t.json", &err);
        json_object_put(o);
        j->wrong += (rc == EF_OK) == j->dup;
    }
    return NULL;
}

static void check_parallel_parses(void)
{
    parse_job jobs[2] = {{.dup = false}, {.dup = true}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, parse_many, &jobs[i]) == 0);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    CHECK_MSG(jobs[0].wrong == 0 && jobs[1].wrong == 0, "parallel parses: %d / %d wrong answers", jobs[0].wrong,
              jobs[1].wrong);
}

int main(void)
{
    check_parallel_parses();
    expect_bad("{\"a\": 1} x", "1:10", "invalid JSON");
    expect_bad("{\"a\": 1}\n{\"b\": 2}", "2:1", "invalid JSON");
    expect_bad("{\n  // comment\n  \"a\": 1\n}", "2:3", "invalid JSON");
    expect_bad("{\"a\": 1 /* c */}", "1:9", "invalid JSON");
    expect_bad("{'a': 1}", "1:2", "single quotes");
    expect_bad("{\"a\": 'x'}", "1:7", "invalid JSON");
    expect_bad("{\"a\": 1,}", "1:9", "invalid JSON");
    expect_bad("{\"a\": [1, 2,]}", "1:13", "invalid JSON");
    expect_bad("{\"a\": 1,\n \"b\": {\"c\": 1},\n \"a\": 2}", "3:2", "duplicate key \"a\"");
    expect_bad("{\"t\": {\"x\": 1, \"y\": 2, \"x\": 3}}", "1:24", "duplicate key \"x\"");
    expect_bad("{\"a\": NaN}", "1:7", "NaN");
    expect_bad("{\"a\": Infinity}", "1:7", "not a JSON value");
    expect_bad("", "1:1", "empty");
    expect_bad("{\"a\": ", "1:7", "unexpected end");
    expect_bad("{\"a\": 01}", "1:9", "invalid JSON");
    /* numbers json-c takes but JSON does not (found by fuzz_model_config: "-.00") */
    expect_bad("{\"a\": -.00}", "1:7", "not a JSON number");
    expect_bad("{\"a\": [1., 2]}", "1:8", "not a JSON number");
    expect_bad("{\"a\": 1e}", "1:9", "number expected"); /* json-c refuses this one itself */
    expect_bad("{\"a\": +1}", "1:7", "");
    expect_good("{\"a\": [-0.5, 0, 10, 1e5, 2.5E-3, -0]}");
    json_object *o = NULL;
    ef_error err = {0};
    CHECK(ef_json_parse_strict(&o, "{\"a\":1}\0{", 9, "nul.json", &err) == EF_ERR_FORMAT && strstr(err.msg, "NUL"));

    /* nesting deeper than json-c's limit (32) */
    char deep[200] = "";
    for (int i = 0; i < 40; i++) strcat(deep, "[");
    for (int i = 0; i < 40; i++) strcat(deep, "]");
    CHECK(ef_json_parse_strict(&o, deep, strlen(deep), "deep", &err) == EF_ERR_FORMAT && strstr(err.msg, "deep:1:"));

    expect_good("{\"a\": 1, \"b\": {\"a\": 2}, \"c\": [{\"a\": 1}, {\"a\": 2}]}\n");
    expect_good("  [1, -2.5e3, true, false, null, \"it's \\\"quoted\\\" 'x'\", {}]  \n");
    expect_good("{\"key\\\"with quote\": 1, \"key\": 2}");
    expect_good("{\"e\": 1E5, \"f\": 2e-3}");

    /* the model config reader is strict too, and names the file */
    const char *dir = ef_test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/model.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"system\": \"audio\",\n \"system\": \"text\"}\n", f);
    fclose(f);
    ef_model_config cfg = ef_model_config_default_params(EF_SYS_AUDIO);
    CHECK(ef_model_config_load(&cfg, path, &err) == EF_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, path) == err.msg && strstr(err.msg, ":2:2: duplicate key \"system\""), "%s", err.msg);
    CHECK(ef_model_config_from_json(&cfg, "{\"system\": \"audio\"} trailing", "cfg", &err) == EF_ERR_FORMAT &&
          strstr(err.msg, "cfg:1:21:"));
    CHECK_MSG(ef_model_config_from_json(&cfg, "{\"system\": \"audio\"}\n", "cfg", &err) == EF_OK, "%s", err.msg);
    /* a directory given as a config */
    CHECK(ef_model_config_load(&cfg, dir, &err) == EF_ERR_IO && strstr(err.msg, "is a directory"));
    /* the size bound of the loader */
    CHECK(ef_json_load_strict(&o, path, 8, &err) == EF_ERR_FORMAT && strstr(err.msg, "larger than 8 bytes"));
    return ef_test_exit();
}
