/* Strict JSON for the files people write by hand (model configs, experiment settings).
 * json-c, even with JSON_TOKENER_STRICT, accepts single-quoted strings, NaN/Infinity and
 * duplicate keys (the last one silently wins); a config with a typo then trains something
 * else than the user wrote. Here exactly one RFC 8259 value is accepted, with nothing but
 * whitespace after it: no comments, no trailing commas, no single quotes, no NaN/Infinity,
 * no key twice in one object (compared as written; keys equal only after unescaping,
 * "a" vs "\u0061", are not caught). Errors read "<what>:<line>:<column>: <cause>". */
#ifndef EMOFUSE_JSON_STRICT_H
#define EMOFUSE_JSON_STRICT_H

#include <json-c/json.h>
#include <stddef.h>

#include "emofuse/status.h"

/* Parse text[0..len) (a NUL byte inside is an error). *out: a new reference, or NULL
 * with EF_ERR_FORMAT (or EF_ERR_NOMEM). */
ef_code ef_json_parse_strict(json_object **out, const char *text, size_t len, const char *what, ef_error *err);

/* Read path (at most max_bytes; a directory, a missing file or a bigger file is an error
 * naming the path) and parse it with ef_json_parse_strict. */
ef_code ef_json_load_strict(json_object **out, const char *path, size_t max_bytes, ef_error *err);

#endif
