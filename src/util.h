/* util.h — helpers without side effects on the OS: memory, strings,
 * argument vectors, the error contract, cleanup attributes, unit parsing.
 *
 * Error contract (after crun): a function that can fail takes a
 * `coco_err *err` as its last parameter.  On failure it fills it with
 * err_set() (which returns -1) and returns a negative number; callers may
 * add context with err_prefix() as the error travels up.  The error is
 * printed once, at the top, by err_print(), and coco exits with the
 * status it carries (err_exit_code(): 125 unless err_set_exit() said
 * 124, 126 or 127).
 */
#ifndef COCO_UTIL_H
#define COCO_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Exit codes coco itself uses (DESIGN.md, man/coco.1). */
enum {
    EXIT_TIMEOUT = 124,  /* limits.timeout reached */
    EXIT_COCO = 125,     /* coco error: bad config, setup failed */
    EXIT_NOEXEC = 126,   /* command found but not executable */
    EXIT_NOTFOUND = 127, /* command not found */
};

typedef struct coco_err {
    int errnum;      /* errno value, 0 when the message says it all */
    int exit;        /* coco's exit status for it; 0 means EXIT_COCO */
    char msg[1536];  /* one line, no trailing newline, no "coco: " prefix */
} coco_err;

/* Fill ERR (may be NULL) with a formatted message and ERRNUM, for exit
 * status EXIT_COCO; returns -1. */
int err_set(coco_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for another exit status (EXIT_TIMEOUT, EXIT_NOEXEC,
 * EXIT_NOTFOUND): the status travels up with the message, and the top
 * prints the one and exits with the other. */
int err_set_exit(coco_err *err, int exit_code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The exit status ERR asks for: its own, or EXIT_COCO. */
int err_exit_code(const coco_err *err);
/* Prepend "CONTEXT: " to the message already in ERR; returns -1. */
int err_prefix(coco_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Format a one-line message, print it as "coco: MSG" and return
 * EXIT_COCO: for usage errors that quote what the user typed. */
int coco_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "coco: MSG[: strerror(errnum)]" on stderr, as one line: the
 * messages err_set(), err_prefix() and coco_fail() format are escaped
 * like str_escape() does but for backslashes, and err_print() escapes
 * any control character left. */
void err_print(const coco_err *err);

/* Allocation that aborts with a message on out-of-memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Cleanup attributes (crun, bubblewrap). */
static inline void cleanup_freep(void *p) { free(*(void **)p); }
static inline void cleanup_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}
static inline void cleanup_fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}
#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cleanup_fclosep)))

/* Hand ownership on: returns *PP and sets *PP to NULL. */
static inline void *steal_ptr(void *pp)
{
    void **p = (void **)pp;
    void *r = *p;
    *p = NULL;
    return r;
}
#define steal_pointer(pp) steal_ptr(pp)
static inline int steal_fd(int *fd)
{
    int r = *fd;
    *fd = -1;
    return r;
}

/* strvec (after git): a growable, always NULL-terminated vector of
 * owned strings.  Zero-initialise with STRVEC_INIT. */
struct strvec {
    char **v;
    size_t n;
    size_t alloc;
};
#define STRVEC_INIT { NULL, 0, 0 }
void strvec_push(struct strvec *sv, const char *s);
void strvec_push_nodup(struct strvec *sv, char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strvec_pushv(struct strvec *sv, char *const *v);
/* The vector as char ** (never NULL: an empty vector gives {NULL}). */
char **strvec_get(struct strvec *sv);
/* Give up ownership of the array; SV is reset to empty. */
char **strvec_detach(struct strvec *sv);
void strvec_clear(struct strvec *sv);
bool strvec_contains(const struct strvec *sv, const char *s);
void strvec_sort(struct strvec *sv);
/* The strings of SV with SEP between them, in a new string ("" when
 * empty). */
char *strvec_join(const struct strvec *sv, const char *sep);
void strv_free(char **v);
static inline void cleanup_strvecp(struct strvec *sv) { strvec_clear(sv); }
#define _cleanup_strvec_ __attribute__((cleanup(cleanup_strvecp)))

/* Strings. */
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
bool streq(const char *a, const char *b);  /* NULL-safe */

/* Escape S for display, so that a string from a config, a store or the
 * command line cannot forge or hide lines of what coco prints: bytes
 * below 0x20 and 0x7f as \n \t \r or \xNN, bytes that are not valid
 * UTF-8 as \xNN, characters that reorder or hide text (C1 controls,
 * zero-width and bidi controls, line separators, U+FEFF) as \u{NNNN},
 * and '\' as "\\".  Anything else, UTF-8 text included, is copied as it
 * is.  Returns a new string. */
char *str_escape(const char *s);
/* The same into BUF of LEN bytes, always NUL-terminated; output that does
 * not fit is cut before an escape or a character, never inside one. */
char *str_escape_buf(const char *s, char *buf, size_t len);
/* str_escape(S) (NULL as ""), owned by KEEP: for printf arguments, freed
 * with KEEP. */
const char *str_escape_keep(struct strvec *keep, const char *s);

/* Join A and B with exactly one '/' between them. */
char *path_join(const char *a, const char *b);
/* Lexically normalise an absolute path: collapse "//", drop "." components,
 * resolve ".." (never above "/"), drop a trailing '/'.  Returns NULL for a
 * path that is not absolute. */
char *path_normalize(const char *path);
/* True when PATH is absolute and has no "." or ".." component. */
bool path_is_clean_absolute(const char *path);
/* True when CHILD equals PARENT or lies below it (both normalised). */
bool path_is_within(const char *child, const char *parent);

/* Parse "512m", "2g", "100k", "1024" (bytes; suffixes k m g t, powers of
 * 1024, case-insensitive, optional trailing 'b').  Returns 0 or -1. */
int parse_size(const char *s, uint64_t *out);
/* Parse "30s", "10m", "2h", "500ms", "90" (seconds) into milliseconds. */
int parse_duration(const char *s, uint64_t *out_ms);
/* Parse a decimal CPU count like "1.5" into millicpus (1500). > 0. */
int parse_cpus(const char *s, uint64_t *out_milli);
/* Parse a positive decimal integer with no sign or junk.  */
int parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Human-readable size: "512 MiB". Returns BUF. */
char *fmt_size(uint64_t bytes, char *buf, size_t len);
/* Human-readable duration: "30s", "10m", "1h30m", "250ms". Returns BUF. */
char *fmt_duration(uint64_t ms, char *buf, size_t len);

/* Environment-variable name: [A-Za-z_][A-Za-z0-9_]*  */
bool env_name_valid(const char *name);
/* Tool name: [A-Za-z0-9][A-Za-z0-9._+-]*, at most 64 bytes, no "..". */
bool tool_name_valid(const char *name);

/* Hex of N random bytes from getrandom(2) into a new string. */
char *random_hex(size_t nbytes);

extern bool coco_debug;
/* "coco: debug: MSG" and "coco: warning: MSG" on stderr, MSG escaped as
 * err_print() does. */
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
