/*
 * Time zones: owns reading TZif files (RFC 8536, v1 and v2+/v3) from $TZDIR
 * or /usr/share/zoneinfo, the POSIX TZ footer rule, UTC <-> wall conversion
 * and the process-wide zone cache. It does not own calendar arithmetic
 * (timefmt.c), cron's DST policy (cron.c) or the choice of a schedule's zone.
 *
 * A loaded zone is one sorted array of periods: period i starts at at[i]
 * (at[0] = INT64_MIN) and has offset off[i]. The footer rule is expanded
 * into periods for one whole 400-year Gregorian cycle after the last
 * explicit transition; since the rule only depends on the calendar, which
 * repeats every 146097 days, an instant past that cycle is shifted back by
 * whole cycles before the lookup. Every query is then one binary search.
 * Loaded zones are immutable, so they can be shared between threads.
 * Instants and wall times are meaningful within +-2^62 s (about 1.4e11
 * years); beyond that they are clamped for the lookup.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/timefmt.h"
#include "daemon/tz.h"
#include "proto/xalloc.h"

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_NAME_MAX 255
#define TZIF_MAX_SIZE (1024 * 1024)
#define TZ_ABBR_MAX 31
/* One Gregorian cycle: 400 years = 146097 days. */
#define CYCLE_SECONDS (146097LL * 86400)
/* Inputs are clamped here so that t - offset never overflows. */
#define TZ_T_LIMIT (INT64_C(1) << 62)
/* RFC 8536: offsets are within (-25h, +26h). */
#define TZ_OFF_MIN (-89999)
#define TZ_OFF_MAX 93599

struct tz_type {
	int32_t off;
	bool isdst;
	const char *abbr;	/* borrowed from tz->chars or tz->fabbr */
};

/* A POSIX TZ rule date: Jn (julian, no Feb 29), n (zero-based), Mm.w.d. */
struct rule_date {
	char kind;		/* 'J', 'N' or 'M' */
	int n, m, w, d;
	int32_t time;		/* seconds after local midnight, may be < 0 */
};

struct posix_tz {
	char std[TZ_ABBR_MAX + 1], dst[TZ_ABBR_MAX + 1];
	int32_t std_off, dst_off;	/* seconds east of UTC */
	bool has_dst;
	struct rule_date start, end;
};

struct tz {
	char *name;
	size_t n;		/* periods */
	int64_t *at;
	int32_t *off;
	uint16_t *type;
	struct tz_type *types;
	size_t ntypes;
	char *chars;		/* TZif abbreviations, NUL-terminated */
	char fabbr[2][TZ_ABBR_MAX + 1];	/* the footer's std and dst names */
	int32_t min_off, max_off;
	bool cyclic;		/* instants >= cyc_lo + cycle are shifted */
	bool cyclic_below;	/* ... and instants < cyc_lo too */
	int64_t cyc_lo;
};

/* Raw TZif contents, before periods are built. */
struct tzif {
	char version;
	uint32_t timecnt, typecnt, charcnt, leapcnt, isstdcnt, isutcnt;
	int64_t *trans;
	uint8_t *idx;
	struct tz_type *types;
	char *chars;
	bool has_footer;
	struct posix_tz footer;
};

struct rd {
	const unsigned char *p;
	size_t left;
};

static int64_t clamp_t(int64_t t)
{
	if (t > TZ_T_LIMIT)
		return TZ_T_LIMIT;
	if (t < -TZ_T_LIMIT)
		return -TZ_T_LIMIT;
	return t;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* ---- name checks and errors ---- */

static const char *name_problem(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return "empty name";
	if (len > TZ_NAME_MAX)
		return "name longer than 255 characters";
	if (name[0] == '/')
		return "absolute paths are not allowed";
	if (strstr(name, "..") != NULL)
		return "'..' is not allowed";
	for (const char *p = name; *p != '\0'; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '/' || c == '_' ||
		      c == '+' || c == '-'))
			return "only letters, digits and / _ + - are allowed";
	}
	return NULL;
}

/* A printable, bounded copy of NAME for error messages. */
static char *quote_name(const char *name)
{
	size_t len = strnlen(name, 64);
	char *q = xstrndup(name, len);

	for (char *p = q; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '\'')
			*p = '?';
	if (name[len] != '\0') {
		char *longer = xasprintf("%s...", q);

		free(q);
		q = longer;
	}
	return q;
}

static int fail(char **cause, int err, const char *name, const char *what)
{
	char *q = quote_name(name);

	if (err == -ENOENT)
		*cause = xasprintf("unknown time zone '%s'", q);
	else
		*cause = xasprintf("time zone '%s': %s", q, what);
	free(q);
	return err;
}

/* ---- reading the file ---- */

static int read_file(const char *path, unsigned char **ret_buf,
		     size_t *ret_len)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t got = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > TZIF_MAX_SIZE) {
		close(fd);
		return -ENOENT;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : -EIO;
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	if (err < 0) {
		free(buf);
		return err;
	}
	*ret_buf = buf;
	*ret_len = got;
	return 0;
}

static bool rd_skip(struct rd *r, size_t n)
{
	if (r->left < n)
		return false;
	r->p += n;
	r->left -= n;
	return true;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static const char *parse_header(struct rd *r, struct tzif *f)
{
	const unsigned char *h = r->p;

	if (!rd_skip(r, 44) || memcmp(h, "TZif", 4) != 0)
		return "not a TZif file";
	f->version = (char)h[4];
	f->isutcnt = be32(h + 20);
	f->isstdcnt = be32(h + 24);
	f->leapcnt = be32(h + 28);
	f->timecnt = be32(h + 32);
	f->typecnt = be32(h + 36);
	f->charcnt = be32(h + 40);
	if (f->typecnt == 0 || f->typecnt > 256 || f->charcnt == 0 ||
	    (f->isutcnt != 0 && f->isutcnt != f->typecnt) ||
	    (f->isstdcnt != 0 && f->isstdcnt != f->typecnt))
		return "bad TZif header counts";
	return NULL;
}

/* Size of a data block whose times are TSZ bytes wide. */
static size_t block_size(const struct tzif *f, size_t tsz)
{
	return (size_t)f->timecnt * (tsz + 1) + (size_t)f->typecnt * 6 +
	       f->charcnt + (size_t)f->leapcnt * (tsz + 4) + f->isstdcnt +
	       f->isutcnt;
}

static const char *parse_types(const unsigned char *p, struct tzif *f)
{
	for (uint32_t i = 0; i < f->typecnt; i++, p += 6) {
		int32_t off = (int32_t)be32(p);

		if (off < TZ_OFF_MIN || off > TZ_OFF_MAX || p[4] > 1 ||
		    p[5] >= f->charcnt)
			return "bad local time type";
		f->types[i].off = off;
		f->types[i].isdst = p[4] == 1;
		f->types[i].abbr = f->chars + p[5];
	}
	return NULL;
}

static const char *parse_block(struct rd *r, struct tzif *f, size_t tsz)
{
	const unsigned char *p = r->p;

	if (!rd_skip(r, block_size(f, tsz)))
		return "truncated TZif file";
	f->trans = xcalloc(f->timecnt + 1, sizeof(*f->trans));
	f->idx = xcalloc(f->timecnt + 1, 1);
	f->types = xcalloc(f->typecnt, sizeof(*f->types));
	for (uint32_t i = 0; i < f->timecnt; i++, p += tsz) {
		f->trans[i] = tsz == 8 ? be64(p) : (int32_t)be32(p);
		if (i > 0 && f->trans[i] <= f->trans[i - 1])
			return "transitions out of order";
	}
	for (uint32_t i = 0; i < f->timecnt; i++, p++) {
		if (*p >= f->typecnt)
			return "bad transition type";
		f->idx[i] = *p;
	}
	/* chars is copied with a NUL added, so every abbreviation ends. */
	f->chars = xcalloc(f->charcnt + 1, 1);
	memcpy(f->chars, p + (size_t)f->typecnt * 6, f->charcnt);
	return parse_types(p, f);
}

/* ---- the POSIX TZ footer ---- */

static bool parse_num(const char **sp, int lo, int hi, int *ret)
{
	const char *s = *sp;
	int v = 0;

	if (*s < '0' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		if (v > hi)
			return false;
	}
	if (v < lo)
		return false;
	*sp = s;
	*ret = v;
	return true;
}

/* [+-]hh[:mm[:ss]] with hh <= MAXH; returns seconds. */
static bool parse_hms(const char **sp, int maxh, int32_t *ret)
{
	const char *s = *sp;
	int sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!parse_num(&s, 0, maxh, &h))
		return false;
	if (*s == ':') {
		s++;
		if (!parse_num(&s, 0, 59, &m))
			return false;
		if (*s == ':') {
			s++;
			if (!parse_num(&s, 0, 59, &sec))
				return false;
		}
	}
	*sp = s;
	*ret = sign * (h * 3600 + m * 60 + sec);
	return true;
}

static bool parse_abbr(const char **sp, char out[TZ_ABBR_MAX + 1])
{
	const char *s = *sp, *b;
	size_t len = 0;

	if (*s == '<') {
		b = ++s;
		while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		       (*s >= '0' && *s <= '9') || *s == '+' || *s == '-')
			s++;
		if (*s != '>')
			return false;
		len = (size_t)(s++ - b);
	} else {
		b = s;
		while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			s++;
		len = (size_t)(s - b);
	}
	if (len < 3 || len > TZ_ABBR_MAX)
		return false;
	memcpy(out, b, len);
	out[len] = '\0';
	*sp = s;
	return true;
}

static bool parse_rule_date(const char **sp, struct rule_date *rd)
{
	const char *s = *sp;

	if (*s == 'J') {
		s++;
		rd->kind = 'J';
		if (!parse_num(&s, 1, 365, &rd->n))
			return false;
	} else if (*s == 'M') {
		s++;
		rd->kind = 'M';
		if (!parse_num(&s, 1, 12, &rd->m) || *s++ != '.' ||
		    !parse_num(&s, 1, 5, &rd->w) || *s++ != '.' ||
		    !parse_num(&s, 0, 6, &rd->d))
			return false;
	} else {
		rd->kind = 'N';
		if (!parse_num(&s, 0, 365, &rd->n))
			return false;
	}
	rd->time = 2 * 3600;
	/* RFC 8536 extends the hours of a rule time to -167..167. */
	if (*s == '/') {
		s++;
		if (!parse_hms(&s, 167, &rd->time))
			return false;
	}
	*sp = s;
	return true;
}

/* Parses a TZ string such as "EST5EDT,M3.2.0,M11.1.0". */
static bool parse_posix_tz(const char *s, struct posix_tz *pt)
{
	int32_t o;

	memset(pt, 0, sizeof(*pt));
	if (!parse_abbr(&s, pt->std) || !parse_hms(&s, 24, &o))
		return false;
	pt->std_off = -o;	/* POSIX offsets count west */
	if (*s == '\0')
		return true;
	if (!parse_abbr(&s, pt->dst))
		return false;
	pt->has_dst = true;
	pt->dst_off = pt->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if (!parse_hms(&s, 24, &o))
			return false;
		pt->dst_off = -o;
	}
	if (*s == '\0') {
		/* No rule: the US rule, as glibc and tzcode assume. */
		s = ",M3.2.0,M11.1.0";
	}
	if (*s++ != ',' || !parse_rule_date(&s, &pt->start) || *s++ != ',' ||
	    !parse_rule_date(&s, &pt->end))
		return false;
	return *s == '\0';
}

static const char *parse_footer(struct rd *r, struct tzif *f)
{
	const char *s = (const char *)r->p, *nl;
	char *str;
	bool ok;

	if (r->left == 0)
		return NULL;	/* tolerated: no footer at all */
	if (r->left < 2 || s[0] != '\n')
		return "bad TZ footer";
	nl = memchr(s + 1, '\n', r->left - 1);
	if (nl == NULL)
		return "unterminated TZ footer";
	if (nl == s + 1)
		return NULL;	/* empty: no rule after the last transition */
	str = xstrndup(s + 1, (size_t)(nl - s - 1));
	ok = strlen(str) == (size_t)(nl - s - 1) &&
	     parse_posix_tz(str, &f->footer);
	free(str);
	if (!ok)
		return "bad TZ footer";
	f->has_footer = true;
	return NULL;
}

static void tzif_release(struct tzif *f)
{
	free(f->trans);
	free(f->idx);
	free(f->types);
	free(f->chars);
}

static const char *tzif_parse(const unsigned char *buf, size_t len,
			      struct tzif *f)
{
	struct rd r = { buf, len };
	const char *err;

	memset(f, 0, sizeof(*f));
	if ((err = parse_header(&r, f)) != NULL)
		return err;
	if (f->version == '\0')
		return parse_block(&r, f, 4);
	/* v2+: skip the 32-bit block, use the 64-bit one and the footer. */
	if (!rd_skip(&r, block_size(f, 4)))
		return "truncated TZif file";
	if ((err = parse_header(&r, f)) != NULL ||
	    (err = parse_block(&r, f, 8)) != NULL)
		return err;
	return parse_footer(&r, f);
}

/* ---- building periods ---- */

/* Day (since the epoch) of rule date RD in year Y. */
static int64_t rule_day(const struct rule_date *rd, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1), first;
	unsigned dim, day;

	if (rd->kind == 'J')
		return jan1 + rd->n - 1 + (is_leap_year(y) && rd->n >= 60);
	if (rd->kind == 'N')
		return jan1 + rd->n;
	first = days_from_civil(y, (unsigned)rd->m, 1);
	dim = days_in_month(y, (unsigned)rd->m);
	day = 1 + (unsigned)(rd->d - (int)weekday_from_days(first) + 7) % 7 +
	      (unsigned)(rd->w - 1) * 7;
	while (day > dim)
		day -= 7;
	return first + day - 1;
}

static void push_period(struct tz *z, int64_t at, uint16_t type)
{
	/* A transition at or before the previous one replaces it (a rule
	 * whose end and next start coincide, such as all-year DST). */
	while (z->n > 1 && at <= z->at[z->n - 1])
		z->n--;
	if (z->off[z->n - 1] == z->types[type].off &&
	    z->type[z->n - 1] == type)
		return;
	z->at[z->n] = at;
	z->off[z->n] = z->types[type].off;
	z->type[z->n] = type;
	z->n++;
}

/* Appends the footer's transitions of years Y0 .. Y1 after LAST. */
static void expand_rule(struct tz *z, const struct posix_tz *pt,
			uint16_t std, int64_t y0, int64_t y1, int64_t last)
{
	for (int64_t y = y0; y <= y1; y++) {
		int64_t on = rule_day(&pt->start, y) * 86400 +
			     pt->start.time - pt->std_off;
		int64_t off = rule_day(&pt->end, y) * 86400 + pt->end.time -
			      pt->dst_off;
		int64_t a = on < off ? on : off, b = on < off ? off : on;
		uint16_t ta = on < off ? std + 1 : std;

		if (a > last)
			push_period(z, a, ta);
		if (b > last)
			push_period(z, b, ta == std ? std + 1 : std);
	}
}

static void add_footer_types(struct tz *z, const struct posix_tz *pt)
{
	size_t n = z->ntypes;

	snprintf(z->fabbr[0], sizeof(z->fabbr[0]), "%s", pt->std);
	snprintf(z->fabbr[1], sizeof(z->fabbr[1]), "%s", pt->dst);
	z->types[n] = (struct tz_type){ pt->std_off, false, z->fabbr[0] };
	z->types[n + 1] = (struct tz_type){ pt->dst_off, true, z->fabbr[1] };
	z->ntypes += 2;
}

static void footer_periods(struct tz *z, const struct tzif *f)
{
	const struct posix_tz *pt = &f->footer;
	uint16_t std = (uint16_t)z->ntypes;
	int64_t last = INT64_MIN, y0 = 1970, y;
	unsigned m, d;

	add_footer_types(z, pt);
	if (f->timecnt == 0) {
		z->type[0] = std;
		z->off[0] = pt->std_off;
	}
	if (!pt->has_dst)
		return;
	if (f->timecnt > 0) {
		last = f->trans[f->timecnt - 1];
		civil_from_days(floor_div(last, 86400), &y, &m, &d);
		y0 = y + 2;
	}
	z->cyclic = true;
	z->cyclic_below = f->timecnt == 0;
	z->cyc_lo = days_from_civil(y0, 1, 1) * 86400;
	expand_rule(z, pt, std, y0 - 2, y0 + 400, last);
}

static void build_periods(struct tz *z, const struct tzif *f)
{
	size_t cap = 1 + f->timecnt + (f->has_footer ? 2 * 404 : 0);

	z->ntypes = f->typecnt;
	z->types = xcalloc(f->typecnt + 2, sizeof(*z->types));
	memcpy(z->types, f->types, f->typecnt * sizeof(*z->types));
	z->at = xcalloc(cap, sizeof(*z->at));
	z->off = xcalloc(cap, sizeof(*z->off));
	z->type = xcalloc(cap, sizeof(*z->type));
	z->at[0] = INT64_MIN;
	z->off[0] = z->types[0].off;
	z->type[0] = 0;
	z->n = 1;
	for (uint32_t i = 0; i < f->timecnt; i++) {
		/* Kept even when only the abbreviation changes. */
		z->at[z->n] = f->trans[i];
		z->off[z->n] = z->types[f->idx[i]].off;
		z->type[z->n] = f->idx[i];
		z->n++;
	}
	if (f->has_footer)
		footer_periods(z, f);
	z->min_off = z->max_off = z->off[0];
	for (size_t i = 1; i < z->n; i++) {
		if (z->off[i] < z->min_off)
			z->min_off = z->off[i];
		if (z->off[i] > z->max_off)
			z->max_off = z->off[i];
	}
}

/* ---- loading ---- */

static struct tz *tz_new_utc(const char *name)
{
	struct tz *z = xcalloc(1, sizeof(*z));
	struct tzif f;

	memset(&f, 0, sizeof(f));
	f.typecnt = 1;
	f.types = xcalloc(1, sizeof(*f.types));
	z->chars = xstrdup("UTC");
	f.types[0] = (struct tz_type){ 0, false, z->chars };
	build_periods(z, &f);
	free(f.types);
	z->name = xstrdup(name);
	return z;
}

static int load_file(const char *name, struct tz **ret_tz, char **cause)
{
	const char *dir = getenv("TZDIR"), *err;
	unsigned char *buf = NULL;
	size_t len = 0;
	struct tzif f;
	struct tz *z;
	char *path;
	int r;

	if (dir == NULL || dir[0] == '\0')
		dir = TZ_DEFAULT_DIR;
	path = xasprintf("%s/%s", dir, name);
	r = read_file(path, &buf, &len);
	free(path);
	if (r == -ENOENT || r == -ENOTDIR || r == -EISDIR)
		return fail(cause, -ENOENT, name, NULL);
	if (r < 0)
		return fail(cause, r, name, strerror(-r));
	err = tzif_parse(buf, len, &f);
	free(buf);
	if (err != NULL) {
		tzif_release(&f);
		return fail(cause, -EINVAL, name, err);
	}
	z = xcalloc(1, sizeof(*z));
	build_periods(z, &f);
	z->chars = f.chars;
	f.chars = NULL;
	tzif_release(&f);
	z->name = xstrdup(name);
	*ret_tz = z;
	return 0;
}

int tz_load(const char *name, struct tz **ret_tz, char **cause)
{
	const char *problem = name_problem(name);

	if (problem != NULL) {
		char *q = quote_name(name);

		*cause = xasprintf("invalid time zone name '%s': %s", q,
				   problem);
		free(q);
		return -EINVAL;
	}
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
		*ret_tz = tz_new_utc(name);
		return 0;
	}
	return load_file(name, ret_tz, cause);
}

void tz_free(struct tz *z)
{
	if (z == NULL)
		return;
	free(z->name);
	free(z->at);
	free(z->off);
	free(z->type);
	free(z->types);
	free(z->chars);
	free(z);
}

/* ---- the cache ---- */

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tz **cache;
static size_t cache_n, cache_cap;

const struct tz *tz_get(const char *name, char **cause)
{
	struct tz *z = NULL;

	pthread_mutex_lock(&cache_lock);
	for (size_t i = 0; i < cache_n; i++)
		if (strcmp(cache[i]->name, name) == 0) {
			z = cache[i];
			goto out;
		}
	if (tz_load(name, &z, cause) < 0)
		goto out;
	if (cache_n == cache_cap) {
		cache_cap = cache_cap ? cache_cap * 2 : 16;
		cache = xrealloc(cache, cache_cap * sizeof(*cache));
	}
	cache[cache_n++] = z;
out:
	pthread_mutex_unlock(&cache_lock);
	return z;
}

void tz_cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	for (size_t i = 0; i < cache_n; i++)
		tz_free(cache[i]);
	free(cache);
	cache = NULL;
	cache_n = cache_cap = 0;
	pthread_mutex_unlock(&cache_lock);
}

/* ---- queries ---- */

const char *tz_name(const struct tz *z)
{
	return z->name;
}

/* Maps T into the expanded window; *SHIFT is what was subtracted. */
static int64_t reduce(const struct tz *z, int64_t t, int64_t *shift)
{
	int64_t k;

	*shift = 0;
	if (!z->cyclic)
		return t;
	if (t < z->cyc_lo + CYCLE_SECONDS && (t >= z->cyc_lo ||
					       !z->cyclic_below))
		return t;
	k = floor_div(t - z->cyc_lo, CYCLE_SECONDS);
	*shift = k * CYCLE_SECONDS;
	return t - *shift;
}

/* The last period starting at or before T. */
static size_t find_period(const struct tz *z, int64_t t)
{
	size_t lo = 0, hi = z->n;	/* at[lo] <= t < at[hi] */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

int32_t tz_offset_at(const struct tz *z, int64_t t, const char **ret_abbr,
		     bool *ret_isdst)
{
	int64_t shift;
	size_t i = find_period(z, reduce(z, clamp_t(t), &shift));
	const struct tz_type *ty = &z->types[z->type[i]];

	if (ret_abbr != NULL)
		*ret_abbr = ty->abbr;
	if (ret_isdst != NULL)
		*ret_isdst = ty->isdst;
	return z->off[i];
}

int64_t tz_utc_to_wall(const struct tz *z, int64_t t)
{
	int64_t shift, w;
	size_t i = find_period(z, reduce(z, clamp_t(t), &shift));

	if (__builtin_add_overflow(t, (int64_t)z->off[i], &w))
		return t > 0 ? INT64_MAX : INT64_MIN;
	return w;
}

void tz_wall_to_utc(const struct tz *z, int64_t wall, struct tz_resolved *r)
{
	int64_t shift, w = reduce(z, clamp_t(wall), &shift);
	int64_t hi = w - z->min_off;
	bool gap = false;

	r->n = 0;
	r->gap_end = 0;
	r->gap_len = 0;
	/* Only periods that overlap [w - max_off, w - min_off] can hold w. */
	for (size_t i = find_period(z, w - z->max_off);
	     i < z->n && z->at[i] <= hi; i++) {
		int64_t t = w - z->off[i];

		if (t >= z->at[i] && (i + 1 == z->n || t < z->at[i + 1])) {
			if (r->n < 2)
				r->utc[r->n++] = t + shift;
		} else if (!gap && i > 0 && w >= z->at[i] + z->off[i - 1] &&
			   w < z->at[i] + z->off[i]) {
			gap = true;
			r->gap_end = z->at[i] + shift;
			r->gap_len = z->off[i] - z->off[i - 1];
		}
	}
	if (r->n > 0)
		r->gap_end = r->gap_len = 0;
}

/* The first period at or after I whose offset differs from its
 * predecessor's, or z->n. */
static size_t next_change(const struct tz *z, size_t i)
{
	while (i < z->n && z->off[i] == z->off[i - 1])
		i++;
	return i;
}

int64_t tz_next_transition(const struct tz *z, int64_t t)
{
	int64_t shift, tr, cyc_hi = z->cyc_lo + CYCLE_SECONDS;
	size_t i;

	if (t >= TZ_T_LIMIT)
		return INT64_MAX;
	tr = reduce(z, clamp_t(t), &shift);
	i = next_change(z, find_period(z, tr) + 1);
	if (i == z->n)
		return INT64_MAX;
	if (!z->cyclic || z->at[i] < cyc_hi)
		return z->at[i] + shift;
	/* Past the expanded cycle the periods repeat those one cycle
	 * earlier; the generated tail (say, the end of an all-year DST
	 * rule's last year) is not to be trusted. */
	i = next_change(z, find_period(z, z->cyc_lo - 1) + 1);
	if (i == z->n || z->at[i] >= cyc_hi)
		return INT64_MAX;
	return z->at[i] + CYCLE_SECONDS + shift;
}
