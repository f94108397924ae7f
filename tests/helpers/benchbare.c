/*
 * benchbare: the bare anchors bench/run.sh sets beside the daemon's figures,
 * each the least a correct implementation must do, measured in the same run
 * on the same machine and filesystem. Each mode prints one JSON line.
 *
 *   rename DIR THREADS SECONDS   temp write (600 B) + fsync + rename +
 *                                fsync(dir), one new file per op -> ops/s
 *   append FILE THREADS SECONDS  records (300 B) appended to one file with
 *                                group commit: a leader writes the batch
 *                                and fdatasyncs it once -> records/s
 *   timer COUNT PERIOD_MS        a timerfd (CLOCK_REALTIME, absolute) in
 *                                epoll, woken on PERIOD boundaries (offset
 *                                by half a period) -> lateness p50/p99/max
 *   spawnlate COUNT PERIOD_MS STAMP_BIN FILE   the same timerfd, then fork +
 *                                execve of benchstamp, which stamps its own
 *                                start -> fire-to-child lateness p50/p99/max
 *   spawn SECONDS INFLIGHT       fork + execve /bin/true + waitpid, INFLIGHT
 *                                at once -> spawns/s
 *
 * It owns nothing of the daemon and changes nothing outside DIR / FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/xalloc.h"

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "benchbare: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- rename ------------------------------------------------------------- */

struct rename_arg {
	int dirfd, id;
	double until;
	long ops;
};

static void *rename_thread(void *p)
{
	struct rename_arg *a = p;
	char body[600], tmp[64], name[64];

	memset(body, 'x', sizeof body);
	body[sizeof body - 1] = '\n';
	while (mono_s() < a->until) {
		int fd;

		snprintf(tmp, sizeof tmp, ".t%d-%ld.tmp", a->id, a->ops);
		snprintf(name, sizeof name, "t%d-%ld.json", a->id, a->ops);
		fd = openat(a->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			die("openat");
		if (write(fd, body, sizeof body) != (ssize_t)sizeof body || fsync(fd) != 0)
			die("write/fsync");
		close(fd);
		if (renameat(a->dirfd, tmp, a->dirfd, name) != 0 || fsync(a->dirfd) != 0)
			die("rename/fsync(dir)");
		a->ops++;
	}
	return NULL;
}

static int mode_rename(const char *dir, int nthr, double secs)
{
	struct rename_arg *a = xcalloc((size_t)nthr, sizeof *a);
	pthread_t *t = xcalloc((size_t)nthr, sizeof *t);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), i;
	double t0 = mono_s();
	long ops = 0;

	if (dirfd < 0)
		die(dir);
	for (i = 0; i < nthr; i++) {
		a[i] = (struct rename_arg){ .dirfd = dirfd, .id = i, .until = t0 + secs };
		pthread_create(&t[i], NULL, rename_thread, &a[i]);
	}
	for (i = 0; i < nthr; i++) {
		pthread_join(t[i], NULL);
		ops += a[i].ops;
	}
	secs = mono_s() - t0;
	printf("{\"mode\":\"rename\",\"threads\":%d,\"ops\":%ld,\"seconds\":%.3f,\"rate\":%.1f}\n",
	       nthr, ops, secs, (double)ops / secs);
	close(dirfd);
	free(a);
	free(t);
	return 0;
}

/* ---- append with group commit --------------------------------------------- */

struct journal {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	char *buf;		/* records waiting for the next batch */
	size_t len, cap;
	unsigned long gen_filled;	/* batch number records go into */
	unsigned long gen_durable;	/* last batch on disk */
	bool flushing;
	double until;
	long records, batches;
};

/* Appends REC; returns once its batch is on disk. */
static void journal_append(struct journal *j, const char *rec, size_t n)
{
	unsigned long mine;

	pthread_mutex_lock(&j->mu);
	if (j->len + n > j->cap) {
		j->cap = (j->len + n) * 2;
		j->buf = xrealloc(j->buf, j->cap);
	}
	memcpy(j->buf + j->len, rec, n);
	j->len += n;
	j->records++;
	mine = j->gen_filled;
	while (j->gen_durable < mine) {
		if (!j->flushing) {
			char *out = j->buf;
			size_t len = j->len;

			j->flushing = true;
			j->buf = NULL;
			j->len = j->cap = 0;
			j->gen_filled++;
			pthread_mutex_unlock(&j->mu);
			if (write(j->fd, out, len) != (ssize_t)len || fdatasync(j->fd) != 0)
				die("write/fdatasync");
			free(out);
			pthread_mutex_lock(&j->mu);
			j->flushing = false;
			j->gen_durable = mine;
			j->batches++;
			pthread_cond_broadcast(&j->cv);
		} else {
			pthread_cond_wait(&j->cv, &j->mu);
		}
	}
	pthread_mutex_unlock(&j->mu);
}

static void *append_thread(void *p)
{
	struct journal *j = p;
	char rec[300];

	memset(rec, 'e', sizeof rec);
	rec[sizeof rec - 1] = '\n';
	while (mono_s() < j->until)
		journal_append(j, rec, sizeof rec);
	return NULL;
}

static int mode_append(const char *file, int nthr, double secs)
{
	struct journal j = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
			     .gen_filled = 1 };
	pthread_t *t = xcalloc((size_t)nthr, sizeof *t);
	double t0 = mono_s();
	int i;

	j.fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0600);
	if (j.fd < 0)
		die(file);
	j.until = t0 + secs;
	for (i = 0; i < nthr; i++)
		pthread_create(&t[i], NULL, append_thread, &j);
	for (i = 0; i < nthr; i++)
		pthread_join(t[i], NULL);
	secs = mono_s() - t0;
	printf("{\"mode\":\"append\",\"threads\":%d,\"ops\":%ld,\"batches\":%ld,\"seconds\":%.3f,\"rate\":%.1f}\n",
	       nthr, j.records, j.batches, secs, (double)j.records / secs);
	close(j.fd);
	free(j.buf);
	free(t);
	return 0;
}

/* ---- timerfd lateness --------------------------------------------------- */

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static int mode_timer(long count, long period_ms)
{
	long long *late = xcalloc((size_t)count, sizeof *late), period = period_ms * 1000000LL;
	int tfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct timespec now;
	long i;

	if (tfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) < 0)
		die("timerfd/epoll");
	for (i = 0; i < count; i++) {
		struct itimerspec its = { { 0, 0 }, { 0, 0 } };
		long long t, due;
		uint64_t ticks;

		clock_gettime(CLOCK_REALTIME, &now);
		t = now.tv_sec * 1000000000LL + now.tv_nsec;
		due = (t / period + 1) * period + period / 2;
		its.it_value.tv_sec = due / 1000000000LL;
		its.it_value.tv_nsec = due % 1000000000LL;
		timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
		while (epoll_wait(ep, &out, 1, -1) < 1)
			;
		clock_gettime(CLOCK_REALTIME, &now);
		if (read(tfd, &ticks, sizeof ticks) < 0)
			die("read timerfd");
		late[i] = now.tv_sec * 1000000000LL + now.tv_nsec - due;
	}
	qsort(late, (size_t)count, sizeof *late, cmp_ll);
	printf("{\"mode\":\"timer\",\"count\":%ld,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f}\n",
	       count, late[count / 2] / 1e3, late[count * 99 / 100] / 1e3, late[count - 1] / 1e3);
	free(late);
	close(tfd);
	close(ep);
	return 0;
}

/* ---- timer + spawn: the floor of fire-to-child-running ---------------------- */

/* Lines "bare DUE_NS START_NS" of FILE -> sorted lateness (ns); count in *n. */
static long long *read_stamps(const char *file, long *n)
{
	FILE *f = fopen(file, "re");
	long long due, start, *late = NULL;
	long cap = 0;

	*n = 0;
	if (!f)
		die(file);
	while (fscanf(f, "bare %lld %lld\n", &due, &start) == 2) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			late = xrealloc(late, (size_t)cap * sizeof *late);
		}
		late[(*n)++] = start - due;
	}
	fclose(f);
	qsort(late, (size_t)*n, sizeof *late, cmp_ll);
	return late;
}

static int mode_spawnlate(long count, long period_ms, const char *stamp, const char *file)
{
	long long period = period_ms * 1000000LL, *late;
	int tfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
	struct timespec now;
	long i, n;

	if (tfd < 0 || (unlink(file) < 0 && errno != ENOENT))
		die("timerfd/unlink");
	for (i = 0; i < count; i++) {
		struct itimerspec its = { { 0, 0 }, { 0, 0 } };
		char env_due[64], *argv[] = { (char *)stamp, (char *)file, NULL };
		char *envp[] = { env_due, NULL };
		long long t, due;
		uint64_t ticks;
		pid_t pid;

		clock_gettime(CLOCK_REALTIME, &now);
		t = now.tv_sec * 1000000000LL + now.tv_nsec;
		due = (t / period + 1) * period + period / 2;
		its.it_value.tv_sec = due / 1000000000LL;
		its.it_value.tv_nsec = due % 1000000000LL;
		snprintf(env_due, sizeof env_due, "BENCH_DUE_NS=%lld", due);
		timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
		if (read(tfd, &ticks, sizeof ticks) < 0)
			die("read timerfd");
		pid = fork();
		if (pid == 0) {
			execve(stamp, argv, envp);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, NULL, 0) < 0)
			die("fork/waitpid");
	}
	late = read_stamps(file, &n);
	if (n == 0)
		die("no stamps");
	printf("{\"mode\":\"spawnlate\",\"count\":%ld,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f}\n",
	       n, late[n / 2] / 1e3, late[n * 99 / 100] / 1e3, late[n - 1] / 1e3);
	free(late);
	close(tfd);
	return 0;
}

/* ---- spawn ------------------------------------------------------------- */

static pid_t spawn_true(void)
{
	static char *const argv[] = { "/bin/true", NULL };
	static char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	pid_t pid = fork();

	if (pid == 0) {
		execve(argv[0], argv, envp);
		_exit(127);
	}
	if (pid < 0)
		die("fork");
	return pid;
}

static int mode_spawn(double secs, int inflight)
{
	double t0 = mono_s(), until = t0 + secs;
	long done = 0;
	int running = 0, st;

	while (running < inflight) {
		spawn_true();
		running++;
	}
	while (running > 0) {
		if (waitpid(-1, &st, 0) < 0)
			die("waitpid");
		running--;
		done++;
		if (mono_s() < until) {
			spawn_true();
			running++;
		}
	}
	secs = mono_s() - t0;
	printf("{\"mode\":\"spawn\",\"inflight\":%d,\"ops\":%ld,\"seconds\":%.3f,\"rate\":%.1f}\n",
	       inflight, done, secs, (double)done / secs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "rename") == 0)
		return mode_rename(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 5 && strcmp(argv[1], "append") == 0)
		return mode_append(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 4 && strcmp(argv[1], "timer") == 0)
		return mode_timer(atol(argv[2]), atol(argv[3]));
	if (argc == 6 && strcmp(argv[1], "spawnlate") == 0)
		return mode_spawnlate(atol(argv[2]), atol(argv[3]), argv[4], argv[5]);
	if (argc == 4 && strcmp(argv[1], "spawn") == 0)
		return mode_spawn(atof(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: benchbare rename DIR THREADS SECONDS | append FILE THREADS SECONDS |\n"
		"                 timer COUNT PERIOD_MS | spawn SECONDS INFLIGHT |\n"
		"                 spawnlate COUNT PERIOD_MS STAMP_BIN FILE\n");
	return 2;
}
