/*
 * Plain text tables for vibectl's human output: a header row, columns as
 * wide as their widest cell (counted in UTF-8 characters), two spaces
 * apart, no trailing blanks. Knows strings only.
 */
#include "client/vibectl.h"

#include <stdlib.h>
#include <string.h>

#include "proto/xalloc.h"

/* Characters in a UTF-8 string: bytes that do not continue a sequence. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

void cli_table_init(struct cli_table *t, const char *const *headers)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	while (headers[t->ncols])
		t->ncols++;
	t->cells = xcalloc(t->ncols, sizeof(*t->cells));
	for (i = 0; i < t->ncols; i++)
		t->cells[i] = xstrdup(headers[i]);
}

void cli_table_add(struct cli_table *t, const char *const *cells)
{
	size_t i, base = (t->nrows + 1) * t->ncols;

	t->cells = xrealloc(t->cells, (base + t->ncols) * sizeof(*t->cells));
	for (i = 0; i < t->ncols; i++)
		t->cells[base + i] = xstrdup(cells[i] ? cells[i] : "-");
	t->nrows++;
}

void cli_table_print(const struct cli_table *t, FILE *out)
{
	size_t *width = xcalloc(t->ncols, sizeof(*width));
	size_t r, c, w;
	const char *cell;

	for (r = 0; r <= t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			w = text_width(t->cells[r * t->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
	for (r = 0; r <= t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			cell = t->cells[r * t->ncols + c];
			fputs(cell, out);
			if (c + 1 == t->ncols)
				break;
			for (w = text_width(cell); w < width[c] + 2; w++)
				fputc(' ', out);
		}
		fputc('\n', out);
	}
	free(width);
}

void cli_table_release(struct cli_table *t)
{
	size_t i;

	if (t->cells)
		for (i = 0; i < (t->nrows + 1) * t->ncols; i++)
			free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
