/* engine_args.h — the engine options a config may add (podman_args).
 *
 * An allowlist: one table (engine_args.c) of the podman/docker options a
 * config can ask for, each with the engines that have it, a strict value
 * grammar, plain words for `coco show` / `coco get`, and the reason it
 * cannot undo the sandbox.  Everything else is refused.  A vetted option
 * is kept in one canonical form, "--name=value", which is what the
 * engine receives: never a separate value word it could read otherwise.
 */
#ifndef COCO_ENGINE_ARGS_H
#define COCO_ENGINE_ARGS_H

#include "config.h"

enum {
    ENG_PODMAN = 1u << 0,
    ENG_DOCKER = 1u << 1,
};

struct engine_opt {
    const char *name;   /* "--label" */
    const char *alias;  /* "-l", or NULL */
    unsigned engines;   /* ENG_* */
    /* NULL when VALUE fits the grammar, else why not (static). */
    const char *(*check)(const char *value);
    const char *grammar; /* the value's form, for messages and the man page */
    const char *what;    /* what it does, in plain words */
    bool risky;          /* `coco show` and `coco get` mark it with '!' */
    const char *safe;    /* why a config may have it */
};

extern const struct engine_opt engine_opts[];
extern const size_t n_engine_opts;

/* Vet a config's podman_args ARGS[0..N): each entry "--opt=value", or
 * "--opt" followed by its value as the next entry; a short alias ("-l")
 * the same way.  On success appends one canonical "--opt=value" per
 * option to OUT and returns 0.  On failure returns -1, OUT untouched,
 * *BAD the index of the offending entry and err->msg
 * "\"ENTRY\" is refused: reason". */
int engine_args_vet(char *const *args, size_t n, struct strvec *out,
                    size_t *bad, coco_err *err);

/* The row of a canonical "--opt=value" (as engine_args_vet makes them)
 * whose value passes the row's check, with *VALUE pointing at the value;
 * NULL for anything else. */
const struct engine_opt *engine_opt_of(const char *canonical,
                                       const char **value);

/* True when RT (podman or docker) has option O. */
bool engine_opt_has(const struct engine_opt *o, enum runtime_kind rt);

/* "podman", "docker" or "podman and docker". */
const char *engine_opt_engines(const struct engine_opt *o);

#endif
