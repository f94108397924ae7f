/*
 * trigger_event: validation, the scheduler-stopped refusal, the per-uid
 * rate bound (a token bucket: event_rate per second, event_burst at once),
 * then events_post().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/events.h"
#include "daemon/handlers.h"
#include "daemon/log.h"
#include "proto/jsonrpc.h"
#include "proto/xalloc.h"

struct bucket {
	struct bucket *next;
	uid_t uid;
	double tokens;
	int64_t last_ms;
};

static struct bucket *buckets;

/* Non-admin posters are bounded; answers limit_exceeded when empty. */
static bool take_token(struct call *c)
{
	const struct config *cfg = &c->d->cfg;
	int64_t now = now_ms();
	struct bucket *b;

	if (c->peer->admin)
		return true;
	for (b = buckets; b && b->uid != c->peer->uid; b = b->next)
		;
	if (!b) {
		b = xcalloc(1, sizeof *b);
		b->uid = c->peer->uid;
		b->tokens = cfg->event_burst;
		b->last_ms = now;
		b->next = buckets;
		buckets = b;
	}
	b->tokens += (double)(now - b->last_ms) * cfg->event_rate / 1000.0;
	if (b->tokens > cfg->event_burst)
		b->tokens = cfg->event_burst;
	b->last_ms = now;
	if (b->tokens < 1) {
		call_fail(c, RPC_LIMIT_EXCEEDED, "event_rate",
			  "limit exceeded: event_rate (%d/s, burst %d) for uid %u",
			  cfg->event_rate, cfg->event_burst, (unsigned)c->peer->uid);
		return false;
	}
	b->tokens -= 1;
	return true;
}

void h_events_release(void)
{
	while (buckets) {
		struct bucket *b = buckets;

		buckets = b->next;
		free(b);
	}
}

void h_trigger_event(struct call *c)
{
	const char *type = json_string_value(json_object_get(c->params, "event_type"));
	const char *source = json_string_value(json_object_get(c->params, "source"));
	json_t *data = json_object_get(c->params, "event_data"), *res;
	char *cause = NULL;

	if (!*type || strlen(type) > 256) {
		call_fail(c, RPC_INVALID_PARAMS, "event_type", "event_type: expected 1-256 characters");
		return;
	}
	if (data && !json_is_object(data)) {
		call_fail(c, RPC_INVALID_PARAMS, "event_data", "event_data: expected a JSON object");
		return;
	}
	if (!c->d->running) {
		call_fail(c, RPC_SCHEDULER_STOPPED, NULL,
			  "scheduler stopped: the event was not accepted (vibectl start resumes it)");
		return;
	}
	if (!take_token(c))
		return;
	data = data ? json_incref(data) : json_object();
	res = events_post(c->d, type, data, source ? source : "", c->peer->uid, &cause);
	json_decref(data);
	if (!res) {
		log_err("storing an event of uid %u: %s", (unsigned)c->peer->uid, cause);
		call_fail_store(c, -EIO, cause);
		free(cause);
		return;
	}
	call_ok(c, res);
}
