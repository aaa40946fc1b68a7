/*===- modc/modc.h - The modc compiler, in-process ------------*- C -*-===*\
|*                                                                            *|
|* The compiler as a library (INTERFACE.md §5): program-induction            *|
|* experiments check and compile thousands of .mod programs in one process.  *|
|* One session per thread; sessions are independent. Return codes: 0 ok,     *|
|* 1 the program has errors (see the diagnostics), 2 bad options or          *|
|* arguments. No input makes these functions crash, hang or leak, and a      *|
|* failed call leaves the session usable.                                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef MODC_MODC_H
#define MODC_MODC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct modc_session modc_session;
typedef struct modc_library modc_library;

/* The compiler's version, e.g. "0.1.0". */
const char *modc_version(void);

modc_session *modc_session_create(void);
void modc_session_destroy(modc_session *session);

/* Parses and checks `src` (`len` bytes; `filename` names it in diagnostics,
 * NULL: "input.mod"). `options` as on the command line ("-D D=64"). */
int modc_check(modc_session *session, const char *src, size_t len,
               const char *filename, const char *options);

/* Compiles `src` to a loaded library (`*out`, to release with
 * modc_library_release). `options` as on the command line, e.g.
 * "-O2 -D D=64 --target=cpu". The same source, file name and options
 * compiled again in this session return the cached library at once. */
int modc_compile(modc_session *session, const char *src, size_t len,
                 const char *filename, const char *options,
                 modc_library **out);

/* The diagnostics of the session's last check or compile, in the order the
 * command line prints them. `line` and `col` are 0 without a location;
 * `is_error` is 0 for a note. The text lives until the next call on the
 * session. */
size_t modc_diagnostic_count(const modc_session *session);
const char *modc_diagnostic(const modc_session *session, size_t i, int *line,
                            int *col, int *is_error);

/* What each pass did in the session's last compile that ran the pipeline
 * ("" after a check, a cache hit or a failure before it): one line per
 * counter, "PASS: NAME = N", as `modc --stats` prints them; this session's
 * alone. The text lives until the next call on the session. */
const char *modc_statistics(const modc_session *session);

/* The address of an exported symbol of the library, e.g. "lora_create". */
void *modc_library_symbol(modc_library *library, const char *name);
/* Writes the same .so as `modc -o path`; 0 on success. */
int modc_library_write(modc_library *library, const char *path);
/* The loaded file (a private temporary, removed on release): load it again
 * by path (e.g. with dlopen or ctypes) to share the loaded copy. */
const char *modc_library_path(modc_library *library);
void modc_library_release(modc_library *library);

/* The vocabulary table as JSON: builtins, routers and aggregations with
 * their positional and named arguments and defaults (the search space of a
 * program generator). Static storage. */
const char *modc_vocabulary_json(void);

#ifdef __cplusplus
}
#endif

#endif /* MODC_MODC_H */
