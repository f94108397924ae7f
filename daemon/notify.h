/*
 * systemd glue (sd-daemon): READY=1 once the store is loaded and the socket
 * listens, STATUS= with schedule and run counts, STOPPING=1, and watchdog
 * pings from a loop timer (so they stop when the loop stalls). Does
 * nothing when NOTIFY_SOCKET is unset.
 */
#ifndef VIBE_NOTIFY_H
#define VIBE_NOTIFY_H

struct daemon;

void notify_ready(struct daemon *d);
void notify_stopping(struct daemon *d);
void notify_release(struct daemon *d);

#endif
