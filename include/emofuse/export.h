/* EF_API marks the functions the shared library exports. Everything else is built with
 * hidden visibility (-fvisibility=hidden), so libemofuse.so exports only the public API
 * of emofuse.h (checked by tests/api/test_exports.sh with nm -D). */
#ifndef EMOFUSE_EXPORT_H
#define EMOFUSE_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define EF_API __attribute__((visibility("default")))
#else
#define EF_API
#endif

#endif
