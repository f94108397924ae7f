/*
 * Control server. Per connection: the peer's credentials (SO_PEERCRED at
 * accept, never a pid), an input buffer cut into lines by proto/frame, and
 * a queue of replies that leave in request order. A reply to a mutation
 * waits until the store's pending fsyncs are done: the commit event runs at
 * a lower priority than the read events, so all requests that arrived in
 * one loop turn share one store_sync() (group commit).
 *
 * Bounds: line size (max_request_bytes), connections (total and per
 * non-root uid), unread answers (max_output_bytes: reading pauses until
 * the client drains), idle and half-sent timeouts, EMFILE (accept pauses).
 */
#include "daemon/server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <systemd/sd-daemon.h>

#include "daemon/daemon.h"
#include "daemon/log.h"
#include "proto/frame.h"
#include "proto/jsonrpc.h"
#include "proto/xalloc.h"
#include "store/store.h"

struct reply {
	struct reply *next;
	char *line;		/* new, '\n'-terminated */
	size_t len;
	bool ready;		/* may be sent */
	bool wait_sync;		/* becomes ready after the next store_sync */
	bool close_after;	/* close the connection once it is sent */
	struct deferred *df;	/* borrowed: the long call filling it */
	json_t *id;		/* new: the request's id while wait_sync, for
				 * the error answer if the sync fails */
};

struct conn {
	struct conn *prev, *next;
	struct server *srv;
	struct bufferevent *bev;
	struct event *timer;	/* idle / half-sent */
	struct peer peer;
	struct reply *head, *tail;
	int pending;		/* replies not yet ready */
	size_t queued;		/* bytes of answers not yet in the output buffer */
	bool reading_paused;
	bool half_sent;		/* the half-sent deadline is armed */
	bool closing;		/* close when the output is flushed */
};

struct deferred {
	struct conn *conn;	/* NULL once the connection is gone */
	struct reply *reply;
	json_t *id;		/* new */
};

struct server {
	struct daemon *d;
	struct evconnlistener *listener;
	struct event *commit_ev;
	struct event *accept_resume_ev;
	struct conn *conns;
	int nconns;
	char *path;		/* socket file we created, to unlink */
	dev_t path_dev;
	ino_t path_ino;
};

static void conn_free(struct conn *c);
static void conn_flush(struct conn *c);

int server_connection_count(const struct server *srv) { return srv->nconns; }

void daemon_request_sync(struct daemon *d)
{
	if (d->server && store_pending(d->store))
		event_active(d->server->commit_ev, 0, 0);
}

/* ---- replies ----------------------------------------------------------- */

static struct reply *reply_push(struct conn *c)
{
	struct reply *r = xcalloc(1, sizeof *r);

	if (c->tail)
		c->tail->next = r;
	else
		c->head = r;
	c->tail = r;
	c->pending++;
	return r;
}

static void reply_set(struct conn *c, struct reply *r, char *line, size_t len)
{
	r->line = line;
	r->len = len;
	c->queued += len;
	if (!r->ready && !r->wait_sync) {
		r->ready = true;
		c->pending--;
	}
}

static void reply_ready(struct conn *c, struct reply *r)
{
	if (!r->ready) {
		r->ready = true;
		c->pending--;
	}
}

static char *encode_call(json_t *id, struct call *call, size_t *len)
{
	json_t *data;

	if (call->code == 0)
		return rpc_encode_result(id, call->result ? json_incref(call->result) : json_null(), len);
	data = json_object();
	if (call->field)
		json_object_set_new(data, "field", json_string(call->field));
	return rpc_encode_error(id, call->code, call->message, data, len);
}

static void call_release(struct call *c)
{
	free(c->message);
	free(c->field);
	c->message = c->field = NULL;
}

/* ---- handlers' side ---------------------------------------------------- */

void call_ok(struct call *c, json_t *result)
{
	json_decref(c->result);
	c->result = result;
	c->code = 0;
}

void call_fail(struct call *c, int code, const char *field, const char *fmt, ...)
{
	va_list ap;

	free(c->message);
	free(c->field);
	va_start(ap, fmt);
	if (vasprintf(&c->message, fmt, ap) < 0)
		c->message = xstrdup("error");
	va_end(ap);
	c->field = field ? xstrdup(field) : NULL;
	c->code = code;
	json_decref(c->result);
	c->result = NULL;
}

void call_fail_store(struct call *c, int err, const char *cause)
{
	call_fail(c, RPC_STORAGE_ERROR, NULL, "storage error: %s",
		  cause ? cause : strerror(-err));
}

/* The connection whose request is being dispatched (set around fn()). */
static struct conn *dispatching;
static struct reply *dispatching_reply;
static bool dispatch_deferred;

struct deferred *server_defer(struct call *c)
{
	struct deferred *df = xcalloc(1, sizeof *df);

	(void)c;
	df->conn = dispatching;
	df->reply = dispatching_reply;
	if (df->reply)
		df->reply->df = df;
	dispatch_deferred = true;
	return df;
}

void server_complete(struct deferred *df, struct call *result)
{
	size_t len;
	char *line;

	if (df->conn && df->reply) {
		line = encode_call(df->id, result, &len);
		df->reply->df = NULL;
		reply_set(df->conn, df->reply, line, len);
		conn_flush(df->conn);
	}
	json_decref(df->id);
	free(df);
}

/* ---- dispatch ---------------------------------------------------------- */

static void answer_error(struct conn *c, json_t *id, int code,
			 const char *field, const char *msg, bool close_after)
{
	struct call call = { .code = code, .message = (char *)msg, .field = (char *)field };
	struct reply *r = reply_push(c);
	size_t len;
	char *line = encode_call(id, &call, &len);

	r->close_after = close_after;
	reply_set(c, r, line, len);
}

static bool authorise(struct conn *c, const struct method *m, json_t *id)
{
	if ((m->flags & METHOD_ADMIN) && !c->peer.admin) {
		answer_error(c, id, RPC_PERMISSION_DENIED, NULL,
			     "permission denied: this method needs root", false);
		return false;
	}
	if ((m->flags & METHOD_MUTATES) && c->srv->d->store_broken) {
		answer_error(c, id, RPC_STORAGE_ERROR, NULL,
			     "storage error: the store failed an fsync; the daemon takes no more changes until it restarts", false);
		return false;
	}
	return true;
}

static bool check_params(struct conn *c, const struct method *m,
			 struct rpc_request *req)
{
	char *field = NULL, *msg = NULL;

	if (params_check(req->params, m->params, &field, &msg) == 0)
		return true;
	if (req->id)
		answer_error(c, req->id, RPC_INVALID_PARAMS, field, msg, false);
	free(field);
	free(msg);
	return false;
}

static void run_method(struct conn *c, const struct method *m,
		       struct rpc_request *req)
{
	struct call call = { .d = c->srv->d, .peer = &c->peer, .params = req->params };
	struct reply *r = req->id ? reply_push(c) : NULL;
	size_t len;
	char *line;

	dispatching = c;
	dispatching_reply = r;
	dispatch_deferred = false;
	m->fn(&call);
	dispatching = NULL;
	dispatching_reply = NULL;
	if (dispatch_deferred) {
		if (r && r->df)
			r->df->id = json_incref(req->id);
		call_release(&call);
		json_decref(call.result);
		return;
	}
	if (r) {
		if ((m->flags & METHOD_MUTATES) && store_pending(c->srv->d->store)) {
			r->wait_sync = true;
			r->id = json_incref(req->id);
		}
		line = encode_call(req->id, &call, &len);
		reply_set(c, r, line, len);
	}
	if (store_pending(c->srv->d->store))
		event_active(c->srv->commit_ev, 0, 0);
	call_release(&call);
	json_decref(call.result);
}

static void handle_line(struct conn *c, const char *line, size_t len)
{
	struct rpc_request req;
	struct rpc_error err;
	const struct method *m;

	if (len == 0)
		return;
	if (rpc_decode_request(line, len, &req, &err) < 0) {
		answer_error(c, err.id, err.code, NULL, err.message, false);
		rpc_error_release(&err);
		return;
	}
	m = method_find(req.method);
	if (!m) {
		if (req.id) {
			char *msg = xasprintf("method not found: '%.100s'", req.method);

			answer_error(c, req.id, RPC_METHOD_NOT_FOUND, NULL, msg, false);
			free(msg);
		}
	} else if (authorise(c, m, req.id) && check_params(c, m, &req)) {
		run_method(c, m, &req);
	}
	rpc_request_release(&req);
}

/* ---- connection I/O ---------------------------------------------------- */

static void conn_arm_timer(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const struct config *cfg = &c->srv->d->cfg;
	struct timeval tv = { 0, 0 };

	if (evbuffer_get_length(in) > 0 && !c->reading_paused) {
		/* The deadline runs from the line's first byte: bytes that
		 * trickle in without a newline do not push it back. */
		if (c->half_sent)
			return;
		c->half_sent = true;
		tv.tv_sec = cfg->half_sent_timeout_seconds;
	} else {
		c->half_sent = false;
		if (c->pending == 0)
			tv.tv_sec = cfg->idle_timeout_seconds;
	}
	if (tv.tv_sec)
		evtimer_add(c->timer, &tv);
	else
		evtimer_del(c->timer);
}

static void conn_flush(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	while (c->head && c->head->ready) {
		struct reply *r = c->head;

		evbuffer_add(out, r->line, r->len);
		c->queued -= r->len;
		if (r->close_after)
			c->closing = true;
		c->head = r->next;
		if (!c->head)
			c->tail = NULL;
		json_decref(r->id);
		free(r->line);
		free(r);
	}
	if (c->closing) {
		bufferevent_disable(c->bev, EV_READ);
		if (evbuffer_get_length(out) == 0)
			conn_free(c);
		return;
	}
	conn_arm_timer(c);
}

static void conn_read_lines(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t max = c->srv->d->cfg.max_request_bytes;

	while (!c->closing) {
		size_t avail = evbuffer_get_length(in), take = avail < max + 2 ? avail : max + 2;
		size_t len, skip;
		char *data;
		enum frame_status fs;

		/* Answers still in the reply queue count too: one read can
		 * carry ~80 small requests, each with a large answer. */
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) + c->queued >
		    c->srv->d->cfg.max_output_bytes) {
			bufferevent_disable(c->bev, EV_READ);
			c->reading_paused = true;
			break;
		}
		data = (char *)evbuffer_pullup(in, (ssize_t)take);
		fs = frame_next(data, take, max, &len, &skip);
		if (fs == FRAME_INCOMPLETE)
			break;
		if (fs == FRAME_TOO_LONG) {
			char *msg = xasprintf("limit exceeded: max_request_bytes (%zu): request line too long", max);

			answer_error(c, NULL, RPC_LIMIT_EXCEEDED, "max_request_bytes", msg, true);
			free(msg);
			break;
		}
		handle_line(c, data, len);
		evbuffer_drain(in, len + skip);
		c->half_sent = false;	/* a whole line: the next one gets its own deadline */
	}
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	conn_read_lines(c);
	conn_flush(c);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		conn_free(c);
		return;
	}
	if (c->reading_paused) {
		c->reading_paused = false;
		bufferevent_enable(bev, EV_READ);
		conn_read_lines(c);
		conn_flush(c);
	}
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(arg);
}

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	log_debug("closing connection of uid %u: %s", (unsigned)c->peer.uid,
		  evbuffer_get_length(bufferevent_get_input(c->bev)) ? "half-sent line timed out" : "idle");
	conn_free(c);
}

static void conn_free(struct conn *c)
{
	struct server *srv = c->srv;

	while (c->head) {
		struct reply *r = c->head;

		c->head = r->next;
		if (r->df) {
			r->df->conn = NULL;
			r->df->reply = NULL;
		}
		json_decref(r->id);
		free(r->line);
		free(r);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	event_free(c->timer);
	bufferevent_free(c->bev);
	free(c);
}

/* ---- commit (group fsync) ---------------------------------------------- */

/* The loop stops (loopbreak) before it would write the sockets again:
 * sends what C has queued now, so the storage_error answers leave before
 * the daemon exits (non-blocking, best effort). A bufferevent's output
 * cannot be drained or copied out from here (its front is frozen), so its
 * chunks are peeked at and written as they are. */
static void conn_write_now(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_iovec v[16];
	int n = evbuffer_peek(out, -1, NULL, v, 16);

	for (int i = 0; i < n && i < 16; i++) {
		if (write(bufferevent_getfd(c->bev), v[i].iov_base, v[i].iov_len) !=
		    (ssize_t)v[i].iov_len)
			break;	/* the daemon is exiting; the peer sees the close */
	}
}

static void commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	char *cause = NULL;
	int r;

	(void)fd;
	(void)what;
	r = store_sync(srv->d->store, &cause);
	if (r < 0) {
		/* NOTES.md: after a failed fsync the page may be marked clean;
		 * never retry and trust it. Refuse changes and exit so the
		 * restart recovers from what is really on disk. */
		log_err("store: %s: taking no more changes, exiting for a restart", cause);
		srv->d->store_broken = true;
		event_base_loopbreak(srv->d->base);
	}
	for (struct conn *c = srv->conns, *next; c; c = next) {
		next = c->next;
		for (struct reply *rp = c->head; rp; rp = rp->next) {
			if (!rp->wait_sync)
				continue;
			rp->wait_sync = false;
			if (r < 0) {
				size_t len;
				char *msg = xasprintf("storage error: %s", cause);
				char *line = rpc_encode_error(rp->id, RPC_STORAGE_ERROR, msg, NULL, &len);

				free(msg);
				free(rp->line);
				c->queued = c->queued - rp->len + len;
				rp->line = line;
				rp->len = len;
			}
			if (rp->line)
				reply_ready(c, rp);
		}
		conn_flush(c);
	}
	for (struct conn *c = srv->conns; r < 0 && c; c = c->next)
		conn_write_now(c);
	free(cause);
}

/* ---- accepting --------------------------------------------------------- */

static int count_uid(const struct server *srv, uid_t uid)
{
	int n = 0;

	for (const struct conn *c = srv->conns; c; c = c->next)
		n += c->peer.uid == uid;
	return n;
}

static int peer_creds(int fd, struct peer *p, uid_t self)
{
	struct ucred cr;
	socklen_t len = sizeof cr;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -errno;
	p->uid = cr.uid;
	p->gid = cr.gid;
	p->pid = cr.pid;
	p->admin = cr.uid == 0 || cr.uid == self;
	return 0;
}

/* Refuses a connection politely: one error line, then close. */
static void refuse(int fd, int code, const char *field, const char *msg)
{
	size_t len;
	json_t *data = json_object();
	char *line;

	json_object_set_new(data, "field", json_string(field));
	line = rpc_encode_error(NULL, code, msg, data, &len);
	if (write(fd, line, len) < 0) {
		/* the peer is being dropped anyway */
	}
	free(line);
	close(fd);
}

/* Connections that root and the daemon's uid may open beyond
 * max_connections, so that users' connections (up to max_connections_per_uid
 * each) cannot lock the administrator out (PostgreSQL's
 * superuser_reserved_connections). */
#define ADMIN_RESERVED_CONNECTIONS 8

static bool admit(struct server *srv, int fd, const struct peer *p)
{
	const struct config *cfg = &srv->d->cfg;
	int limit = cfg->max_connections + (p->admin ? ADMIN_RESERVED_CONNECTIONS : 0);

	if (p->uid == 65534) {
		refuse(fd, RPC_PERMISSION_DENIED, "uid", "permission denied: the overflow uid 65534 is not accepted (is PrivateUsers= set?)");
		return false;
	}
	if (srv->nconns >= limit) {
		refuse(fd, RPC_LIMIT_EXCEEDED, "max_connections", "limit exceeded: max_connections");
		return false;
	}
	if (!p->admin && count_uid(srv, p->uid) >= cfg->max_connections_per_uid) {
		refuse(fd, RPC_LIMIT_EXCEEDED, "max_connections_per_uid", "limit exceeded: max_connections_per_uid");
		return false;
	}
	return true;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct server *srv = arg;
	struct peer p;
	struct conn *c;

	(void)l;
	(void)sa;
	(void)salen;
	if (peer_creds(fd, &p, srv->d->self_uid) < 0) {
		close(fd);
		return;
	}
	if (!admit(srv, fd, &p))
		return;
	c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->peer = p;
	c->bev = bufferevent_socket_new(srv->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(srv->d->base, conn_timer_cb, c);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, srv->d->cfg.max_output_bytes / 2, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	conn_arm_timer(c);
}

static void accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(((struct server *)arg)->listener);
}

/* EMFILE/ENFILE: stop accepting for a moment instead of spinning. */
static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct server *srv = arg;
	struct timeval tv = { 0, 200000 };
	int e = EVUTIL_SOCKET_ERROR();

	log_warn("accept on %s: %s; pausing accept for 200 ms", srv->d->cfg.socket_path, strerror(e));
	evconnlistener_disable(l);
	evtimer_add(srv->accept_resume_ev, &tv);
}

/* ---- the socket file --------------------------------------------------- */

static int mkdir_parent(const char *path, mode_t mode)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int r = 0;

	if (slash && slash != dir) {
		*slash = '\0';
		for (char *p = dir + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST)
				r = -errno;
			*p = '/';
		}
		if (r == 0 && mkdir(dir, mode) < 0 && errno != EEXIST)
			r = -errno;
	}
	free(dir);
	return r;
}

/* A socket file left by a crashed daemon is replaced; a live one is not. */
static int clear_stale(const char *path, const struct sockaddr_un *sa, char **cause)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		*cause = xasprintf("%s exists and is not a socket; refusing to replace it", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	r = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
	close(fd);
	if (r == 0) {
		*cause = xasprintf("another vibe-schedd is already listening on %s", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	log_notice("removed stale socket %s", path);
	return 0;
}

static void socket_ownership(struct server *srv, const char *path)
{
	const struct config *cfg = &srv->d->cfg;
	struct stat st;

	if (chmod(path, cfg->socket_mode) < 0)
		log_warn("chmod %s: %s", path, strerror(errno));
	if (cfg->socket_group) {
		struct group *g = getgrnam(cfg->socket_group);

		if (!g)
			log_warn("socket group '%s' does not exist; %s keeps the daemon's group",
				 cfg->socket_group, path);
		else if (chown(path, (uid_t)-1, g->gr_gid) < 0)
			log_warn("chown %s to group %s: %s", path, cfg->socket_group, strerror(errno));
	}
	if (stat(path, &st) == 0) {
		srv->path = xstrdup(path);
		srv->path_dev = st.st_dev;
		srv->path_ino = st.st_ino;
	}
}

static int listen_socket(struct server *srv, int *ret_fd, char **cause)
{
	const char *path = srv->d->cfg.socket_path;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof sa.sun_path) {
		*cause = xasprintf("socket path too long (max %zu bytes): %s", sizeof sa.sun_path - 1, path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	if ((r = mkdir_parent(path, srv->d->self_uid == 0 ? 0755 : 0700)) < 0) {
		*cause = xasprintf("cannot create the directory of %s: %s", path, strerror(-r));
		return r;
	}
	if ((r = clear_stale(path, &sa, cause)) < 0) {
		if (!*cause)
			*cause = xasprintf("%s: %s", path, strerror(-r));
		return r;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	old = umask(0177);	/* no window in which the socket is wider open */
	r = bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ? -errno : 0;
	umask(old);
	if (r == 0 && listen(fd, 128) < 0)
		r = -errno;
	if (r < 0) {
		*cause = xasprintf("cannot listen on %s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	socket_ownership(srv, path);
	*ret_fd = fd;
	return 0;
}

/* Socket activation: systemd passes the listening socket as fd 3. */
static int activated_socket(void)
{
	int n = sd_listen_fds(1);

	if (n == 1 && sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) > 0) {
		evutil_make_socket_nonblocking(SD_LISTEN_FDS_START);
		evutil_make_socket_closeonexec(SD_LISTEN_FDS_START);
		return SD_LISTEN_FDS_START;
	}
	return -1;
}

int server_new(struct daemon *d, struct server **ret, char **cause)
{
	struct server *srv = xcalloc(1, sizeof *srv);
	int fd = activated_socket(), r;

	srv->d = d;
	if (fd >= 0)
		log_info("using the socket passed by systemd");
	else if ((r = listen_socket(srv, &fd, cause)) < 0) {
		free(srv);
		return r;
	}
	srv->listener = evconnlistener_new(d->base, accept_cb, srv,
					   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!srv->listener) {
		*cause = xasprintf("cannot watch the socket %s", d->cfg.socket_path);
		close(fd);
		free(srv->path);
		free(srv);
		return -EIO;
	}
	evconnlistener_set_error_cb(srv->listener, accept_error_cb);
	srv->accept_resume_ev = evtimer_new(d->base, accept_resume_cb, srv);
	srv->commit_ev = event_new(d->base, -1, 0, commit_cb, srv);
	event_priority_set(srv->commit_ev, 1);
	*ret = srv;
	return 0;
}

void server_free(struct server *srv)
{
	struct stat st;

	if (!srv)
		return;
	while (srv->conns)
		conn_free(srv->conns);
	evconnlistener_free(srv->listener);
	event_free(srv->commit_ev);
	event_free(srv->accept_resume_ev);
	/* Remove the socket file only if it is still ours. */
	if (srv->path && stat(srv->path, &st) == 0 &&
	    st.st_dev == srv->path_dev && st.st_ino == srv->path_ino)
		unlink(srv->path);
	free(srv->path);
	free(srv);
}
