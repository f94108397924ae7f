/*
 * Asset processes: building argv and the environment, spawning (spawn.c),
 * draining stdout+stderr into the asset's log file (size-capped), reaping
 * on SIGCHLD, timeouts (SIGTERM to the process group, SIGKILL after the
 * grace), retries with doubling delays, and killing what a run left behind.
 *
 * An attempt is over only when its process is reaped AND its output pipe is
 * at EOF. When the main process exits, what is left of its process group
 * gets SIGTERM (then SIGKILL) so nothing it started outlives it, like
 * systemd's KillMode=control-group; processes that escaped with setsid()
 * are found among the daemon's reparented children (it is a subreaper) by
 * their VIBE_RUN_ID.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/runner-int.h"
#include "daemon/timefmt.h"
#include "daemon/tz.h"
#include "proto/xalloc.h"
#include "store/store.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- environment -------------------------------------------------------- */

struct strv {
	char **v;
	size_t n, cap;
};

static void strv_push(struct strv *s, char *str /* steals */)
{
	if (s->n + 2 > s->cap) {
		s->cap = s->cap ? 2 * s->cap : 32;
		s->v = xrealloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* Sets NAME=VALUE, replacing an earlier NAME. */
static void env_set(struct strv *env, const char *name, const char *value)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < env->n; i++) {
		if (strncmp(env->v[i], name, len) == 0 && env->v[i][len] == '=') {
			free(env->v[i]);
			env->v[i] = xasprintf("%s=%s", name, value);
			return;
		}
	}
	strv_push(env, xasprintf("%s=%s", name, value));
}

static void env_event(struct strv *env, const json_t *te)
{
	char *data;

	if (!te)
		return;
	env_set(env, "VIBE_EVENT_ID", json_string_value(json_object_get(te, "event_id")) ?: "");
	env_set(env, "VIBE_EVENT_TYPE", json_string_value(json_object_get(te, "event_type")) ?: "");
	env_set(env, "VIBE_EVENT_SOURCE", json_string_value(json_object_get(te, "source")) ?: "");
	data = json_dumps(json_object_get(te, "event_data"), JSON_COMPACT | JSON_ENCODE_ANY);
	env_set(env, "VIBE_EVENT_DATA", data ? data : "{}");
	free(data);
}

static void env_times(struct strv *env, const struct run *r)
{
	const struct tz *z = tz_get(r->timezone, NULL);
	char buf[RFC3339_BUFSZ];

	if (!z)
		z = tz_get("UTC", NULL);
	env_set(env, "VIBE_SCHEDULED_TIME", rfc3339_format_local(r->scheduled_time, z, buf));
	if (r->logical_date) {
		env_set(env, "VIBE_LOGICAL_DATE", r->logical_date);
	} else {
		buf[10] = '\0';	/* the local date of the scheduled time */
		env_set(env, "VIBE_LOGICAL_DATE", buf);
	}
}

/* PATH HOME USER LOGNAME SHELL, the asset's env, then the VIBE_* names,
 * which an asset cannot override. */
static void build_env(const struct asset_run *a, struct strv *env)
{
	const struct run *r = a->run;
	json_t *aenv = json_object_get(a->spec, "env"), *v;
	const char *k;
	char num[16];

	env_set(env, "PATH", DEFAULT_PATH);
	env_set(env, "HOME", r->user.home ? r->user.home : "/");
	env_set(env, "USER", r->user.name);
	env_set(env, "LOGNAME", r->user.name);
	env_set(env, "SHELL", r->user.shell && *r->user.shell ? r->user.shell : "/bin/sh");
	json_object_foreach(aenv, k, v)
		env_set(env, k, json_string_value(v));
	env_set(env, "VIBE_SCHEDULE_ID", r->schedule_id);
	env_set(env, "VIBE_RUN_ID", r->run_id);
	env_set(env, "VIBE_ASSET", a->name);
	env_set(env, "VIBE_TRIGGER_TYPE", trigger_type_name(r->trigger));
	snprintf(num, sizeof num, "%d", a->attempts);
	env_set(env, "VIBE_ATTEMPT", num);
	if (r->backfill_id)
		env_set(env, "VIBE_BACKFILL_ID", r->backfill_id);
	env_times(env, r);
	env_event(env, r->trigger_event);
}

/* ---- log files ----------------------------------------------------------- */

static int open_log(const struct asset_run *a)
{
	struct daemon *d = a->run->d;
	char *name = xasprintf("%s.%s.log", a->run->run_id, a->name);
	int fd = openat(store_dirfd(d->store, STORE_RUNS), name,
			O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);

	if (fd < 0)
		log_err("run %s: cannot open log %s: %s", a->run->run_id, name, strerror(errno));
	free(name);
	return fd;
}

static void log_write(struct asset_run *a, const char *buf, size_t len)
{
	size_t max = a->run->d->cfg.max_log_bytes, room;

	if (a->log_fd < 0 || a->log_capped)
		return;
	room = a->log_bytes < max ? max - a->log_bytes : 0;
	if (len > room) {
		len = room;
		a->log_capped = true;
	}
	if (len && write(a->log_fd, buf, len) < 0)
		log_warn("run %s: writing the log of %s: %s", a->run->run_id, a->name, strerror(errno));
	a->log_bytes += len;
	if (a->log_capped) {
		char note[128];
		int n = snprintf(note, sizeof note,
				 "\n[vibe-schedd: output truncated at max_log_bytes=%zu]\n", max);

		if (write(a->log_fd, note, (size_t)n) < 0) {
			/* reported above if the disk is the problem */
		}
	}
}

static void log_note(struct asset_run *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void log_note(struct asset_run *a, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (a->log_fd >= 0 && n > 0 && write(a->log_fd, buf, strnlen(buf, sizeof buf)) < 0) {
		/* the note is best effort */
	}
}

/* ---- timers --------------------------------------------------------------- */

static void asset_timer_cb(evutil_socket_t fd, short what, void *arg);

static void arm_timer(struct asset_run *a, enum asset_timer kind, double seconds)
{
	struct timeval tv = { (time_t)seconds, (suseconds_t)((seconds - floor(seconds)) * 1e6) };

	if (!a->timer)
		a->timer = evtimer_new(a->run->d->base, asset_timer_cb, a);
	a->timer_kind = kind;
	evtimer_add(a->timer, &tv);
}

static void disarm_timer(struct asset_run *a)
{
	if (a->timer)
		evtimer_del(a->timer);
	a->timer_kind = TIMER_NONE;
}

/* ---- killing -------------------------------------------------------------- */

/* Signals processes reparented to the daemon that carry this run's id. */
static void kill_orphans(struct run *r, int sig)
{
	pid_t *pids = NULL;
	size_t n = 0;

	if (spawn_list_children(&pids, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		bool known = false;

		for (size_t j = 0; j < r->nassets; j++)
			known |= r->assets[j].pid == pids[i];
		if (!known && spawn_has_env(pids[i], "VIBE_RUN_ID", r->run_id)) {
			kill(-pids[i], sig);
			kill(pids[i], sig);
		}
	}
	free(pids);
}

static void signal_asset(struct asset_run *a, int sig)
{
	if (a->pid)
		kill(-a->pid, sig);
	kill_orphans(a->run, sig);
}

void proc_kill_asset(struct asset_run *a, const char *why)
{
	if (a->state != ASSET_RUNNING)
		return;
	if (!a->timed_out)
		a->cancelled = true;
	log_note(a, "\n[vibe-schedd: %s: SIGTERM to the process group]\n", why);
	signal_asset(a, SIGTERM);
	arm_timer(a, TIMER_GRACE, a->run->d->cfg.kill_grace_seconds);
}

/* ---- attempts -------------------------------------------------------------- */

static void out_read_cb(evutil_socket_t fd, short what, void *arg);

static void build_argv(const struct asset_run *a, struct strv *argv)
{
	json_t *cmd = json_object_get(a->spec, "command"), *w;
	size_t i;

	json_array_foreach(cmd, i, w)
		strv_push(argv, xstrdup(json_string_value(w)));
}

static int spawn_attempt(struct asset_run *a, char **cause)
{
	struct run *r = a->run;
	struct strv argv = { 0 }, env = { 0 };
	struct spawn_result res;
	const char *wd = json_string_value(json_object_get(a->spec, "working_dir"));
	struct stat st;
	struct spawn_req req;
	int e;

	build_argv(a, &argv);
	build_env(a, &env);
	if (!wd)
		wd = r->user.home && stat(r->user.home, &st) == 0 && S_ISDIR(st.st_mode) ? r->user.home : "/";
	req = (struct spawn_req){
		.path = argv.v[0], .argv = argv.v, .envp = env.v, .working_dir = wd,
		.set_user = r->d->self_uid == 0, .uid = r->user.uid, .gid = r->user.gid,
		.groups = r->user.groups, .ngroups = r->user.ngroups,
	};
	e = spawn_start(&req, &res, cause);
	strv_free(&argv);
	strv_free(&env);
	if (e < 0)
		return e;
	a->pid = res.pid;
	a->out_fd = res.out_fd;
	a->out_ev = event_new(r->d->base, a->out_fd, EV_READ | EV_PERSIST, out_read_cb, a);
	event_add(a->out_ev, NULL);
	return 0;
}

static void begin_attempt(struct asset_run *a)
{
	json_t *t = json_object_get(a->spec, "timeout_seconds");
	char *cause = NULL;

	a->attempts++;
	a->state = ASSET_RUNNING;
	a->reaped = a->eof = a->timed_out = a->cancelled = false;
	a->exit_code = -1;
	a->signal = 0;
	if (!a->started_ms)
		a->started_ms = now_ms();
	/* Spawn first, then create the log file: the child's output waits in
	 * the pipe, and creating a file can take a millisecond. */
	if (spawn_attempt(a, &cause) < 0) {
		if (a->log_fd < 0)
			a->log_fd = open_log(a);
		log_note(a, "[vibe-schedd: %s]\n", cause);
		vlog_run(LOG_WARNING, a->run->schedule_id, a->run->run_id, "run %s asset %s: %s",
			 a->run->run_id, a->name, cause);
		free(a->error);
		a->error = cause;
		a->exit_code = 127;
		a->reaped = a->eof = true;
		/* Settled from the next loop turn: the caller may be walking
		 * this run's assets, and finishing could free the run. */
		arm_timer(a, TIMER_SPAWN_FAILED, 0);
		return;
	}
	if (a->log_fd < 0)
		a->log_fd = open_log(a);
	if (a->attempts > 1)
		log_note(a, "\n[vibe-schedd: attempt %d]\n", a->attempts);
	if (t)
		arm_timer(a, TIMER_TIMEOUT, json_number_value(t));
}

void proc_start_asset(struct asset_run *a)
{
	begin_attempt(a);
}

static bool attempt_failed(const struct asset_run *a)
{
	return a->timed_out || a->cancelled || a->exit_code != 0;
}

static void close_output(struct asset_run *a)
{
	if (a->out_ev) {
		event_free(a->out_ev);
		a->out_ev = NULL;
	}
	if (a->out_fd >= 0) {
		close(a->out_fd);
		a->out_fd = -1;
	}
}

/* The process is reaped and its output at EOF: retry, or settle. */
void runner_attempt_over(struct asset_run *a)
{
	json_t *retries = json_object_get(a->spec, "retries");
	json_t *delay = json_object_get(a->spec, "retry_delay_seconds");
	int max_retries = retries ? (int)json_integer_value(retries) : 0;

	disarm_timer(a);
	close_output(a);
	a->pid = 0;
	if (!attempt_failed(a)) {
		a->state = ASSET_SUCCEEDED;
	} else if (!a->cancelled && !a->run->cancelling && a->attempts <= max_retries) {
		double wait = (delay ? json_number_value(delay) : 0) * pow(2, a->attempts - 1);

		a->state = ASSET_RETRY_WAIT;
		log_note(a, "\n[vibe-schedd: attempt %d failed; retrying in %gs]\n", a->attempts, wait);
		arm_timer(a, TIMER_RETRY, wait);
		return;
	} else {
		a->state = a->cancelled ? ASSET_CANCELLED : ASSET_FAILED;
		if (a->timed_out && !a->error)
			a->error = xasprintf("timed out after %gs",
					     json_number_value(json_object_get(a->spec, "timeout_seconds")));
	}
	a->finished_ms = now_ms();
	if (a->log_fd >= 0) {
		close(a->log_fd);
		a->log_fd = -1;
	}
	runner_asset_finished(a);
}

static void check_attempt_over(struct asset_run *a)
{
	if (a->reaped && a->eof)
		runner_attempt_over(a);
}

static void asset_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct asset_run *a = arg;
	enum asset_timer kind = a->timer_kind;

	(void)fd;
	(void)what;
	a->timer_kind = TIMER_NONE;
	if (kind == TIMER_SPAWN_FAILED) {
		runner_attempt_over(a);
	} else if (kind == TIMER_RETRY) {
		begin_attempt(a);
	} else if (kind == TIMER_TIMEOUT) {
		a->timed_out = true;
		proc_kill_asset(a, "timeout");
	} else if (kind == TIMER_GRACE) {
		log_note(a, "[vibe-schedd: still running after the grace period: SIGKILL]\n");
		signal_asset(a, SIGKILL);
		if (!a->reaped || !a->eof)
			arm_timer(a, TIMER_GRACE, 1);
	}
}

static void out_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct asset_run *a = arg;
	char buf[65536];
	ssize_t n;

	(void)what;
	for (int rounds = 0; rounds < 16; rounds++) {
		n = read(fd, buf, sizeof buf);
		if (n > 0) {
			log_write(a, buf, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		close_output(a);
		a->eof = true;
		check_attempt_over(a);
		return;
	}
}

static struct asset_run *find_pid(struct runner *rn, pid_t pid)
{
	for (struct run *r = rn->active; r; r = r->next)
		for (size_t i = 0; i < r->nassets; i++)
			if (r->assets[i].pid == pid && !r->assets[i].reaped)
				return &r->assets[i];
	return NULL;
}

static void reaped(struct asset_run *a, int status)
{
	a->reaped = true;
	if (WIFEXITED(status)) {
		a->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		a->signal = WTERMSIG(status);
		a->exit_code = 128 + a->signal;
	}
	/* Processes that left the group with setsid() and were reparented
	 * to us when their parent died: ask them to end too. */
	kill_orphans(a->run, SIGTERM);
	/* Leftovers of the group would hold the pipe open: end them. */
	if (kill(-a->pid, 0) == 0) {
		kill(-a->pid, SIGTERM);
		if (a->timer_kind == TIMER_NONE || a->timer_kind == TIMER_TIMEOUT)
			arm_timer(a, TIMER_GRACE, a->run->d->cfg.kill_grace_seconds);
	}
	check_attempt_over(a);
}

/* Signals coalesce: reap everything there is, known or not (orphans
 * reparented to us are reaped here too, so no zombie stays). */
void proc_sigchld(struct runner *rn)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct asset_run *a = find_pid(rn, pid);

		if (a)
			reaped(a, status);
	}
}

void proc_sweep_run(struct run *r)
{
	kill_orphans(r, SIGKILL);
}

void proc_release_asset(struct asset_run *a)
{
	if (a->timer) {
		event_free(a->timer);
		a->timer = NULL;
	}
	a->timer_kind = TIMER_NONE;
	close_output(a);
	if (a->log_fd >= 0) {
		close(a->log_fd);
		a->log_fd = -1;
	}
	free(a->error);
	a->error = NULL;
}

/* ---- reading logs ----------------------------------------------------------- */

static int append_file(struct daemon *d, const char *name, size_t tail, json_t *buf_unused,
		       char **out, size_t *len)
{
	int fd = openat(store_dirfd(d->store, STORE_RUNS), name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	size_t size, off = 0;
	ssize_t n;

	(void)buf_unused;
	if (fd < 0)
		return -errno;
	fstat(fd, &st);
	size = (size_t)st.st_size;
	if (tail && size > tail)
		off = size - tail;
	*out = xrealloc(*out, *len + (size - off) + 1);
	while (off < size && (n = pread(fd, *out + *len, size - off, (off_t)off)) > 0) {
		*len += (size_t)n;
		off += (size_t)n;
	}
	(*out)[*len] = '\0';
	close(fd);
	return 0;
}

static void append_str(char **out, size_t *len, const char *s)
{
	size_t n = strlen(s);

	*out = xrealloc(*out, *len + n + 1);
	memcpy(*out + *len, s, n + 1);
	*len += n;
}

static int by_start(const void *x, const void *y)
{
	const char *a = json_string_value(json_object_get(*(json_t *const *)x, "started_at"));
	const char *b = json_string_value(json_object_get(*(json_t *const *)y, "started_at"));

	if (!a || !b)
		return !a - !b;
	return strcmp(a, b);
}

char *runner_read_log(struct daemon *d, const char *run_id, const char *asset,
		      size_t tail_bytes, int *ret_err)
{
	json_t *run = runner_get_run(d, run_id), *assets, *v[1000];
	char *out = xstrdup(""), *name;
	size_t len = 0, n = 0;

	if (!run) {
		*ret_err = -ENOENT;
		free(out);
		return NULL;
	}
	assets = json_object_get(run, "assets");
	for (size_t i = 0; i < json_array_size(assets) && n < 1000; i++) {
		json_t *a = json_array_get(assets, i);

		if ((!asset && json_is_string(json_object_get(a, "started_at"))) ||
		    (asset && strcmp(json_string_value(json_object_get(a, "name")), asset) == 0))
			v[n++] = a;
	}
	if (asset && n == 0) {
		*ret_err = -ESRCH;
		json_decref(run);
		free(out);
		return NULL;
	}
	qsort(v, n, sizeof v[0], by_start);
	for (size_t i = 0; i < n; i++) {
		const char *an = json_string_value(json_object_get(v[i], "name"));

		if (!asset) {
			char *hdr = xasprintf("%s==> %s <==\n", len && out[len - 1] != '\n' ? "\n" : "", an);

			append_str(&out, &len, hdr);
			free(hdr);
		}
		name = xasprintf("%s.%s.log", run_id, an);
		append_file(d, name, tail_bytes, NULL, &out, &len);
		free(name);
	}
	json_decref(run);
	return out;
}
