/*
 * The control server: the listening Unix socket, client connections, line
 * framing, the dispatcher, ordered replies, limits. The only module that
 * touches client sockets. Methods are looked up in the method table; their
 * handlers never see a socket.
 */
#ifndef VIBE_SERVER_H
#define VIBE_SERVER_H

struct daemon;
struct server;

/* Creates the socket (or takes the one systemd passed) and starts
 * accepting. Returns 0 and *ret, or a negative errno with *cause. */
int server_new(struct daemon *d, struct server **ret, char **cause);
/* Closes every connection and the socket; removes the socket file if this
 * process created it. */
void server_free(struct server *srv);

/* Number of open client connections. */
int server_connection_count(const struct server *srv);

/* A reply held for later (a long call such as a backfill with wait:true).
 * The handler gets one from server_defer() while it runs and completes it
 * with server_complete() from any later loop turn. If the client went away
 * meanwhile, completing is still fine (the answer is dropped). RESULT
 * stays the caller's: its result and message are read, not taken. */
struct deferred;
struct call;
struct deferred *server_defer(struct call *c);
void server_complete(struct deferred *df, struct call *result);

#endif
