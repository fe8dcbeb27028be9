/* store.h — `coco get`: what a config from the store grants, in words,
 * before it is saved. */
#ifndef COCO_STORE_H
#define COCO_STORE_H

#include <stdio.h>

#include "config.h"

/* Print the "NAME grants:" screen for C on O, every config string
 * escaped (str_escape), so O holds no control character but '\n'.  A
 * mount whose source, expanded lexically with HOME and CWD, is a
 * sensitive host path (hostpath_sensitive) is marked with '!'. */
void store_describe(const struct config *c, const char *home, const char *cwd,
                    FILE *o);

#endif
