/*
 * Allocation helpers shared by the daemon, the client and the tests.
 * Allocation failure is not a condition we recover from (STYLE.md): these
 * abort with a message. Everything a client sizes is bounded before it gets
 * here.
 */
#ifndef VIBE_XALLOC_H
#define VIBE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a new string formatted like printf. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
