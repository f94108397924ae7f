/*
 * Defaults that vibe-schedd and vibectl must agree on (DESIGN §8, §9):
 * where the control socket lives. A pure function of the caller's uid and
 * environment; no socket calls here.
 */
#ifndef VIBE_DEFAULTS_H
#define VIBE_DEFAULTS_H

#include <sys/types.h>

#define VIBE_SOCKET_NAME "vibe-schedd.sock"
#define VIBE_SYSTEM_RUNTIME_DIR "/run/vibe-schedd"
#define VIBE_DEFAULT_STATE_DIR ".vibe_piper/schedules"
#define VIBE_DEFAULT_MAX_REQUEST_BYTES (64 * 1024)

/* The socket path to use when none is given: $VIBE_SCHEDD_SOCKET if set and
 * non-empty; else for uid 0 /run/vibe-schedd/vibe-schedd.sock; else
 * $XDG_RUNTIME_DIR/vibe-schedd/vibe-schedd.sock; else
 * /tmp/vibe-schedd-<uid>/vibe-schedd.sock. Returns a new string. */
char *default_socket_path(uid_t uid);

#endif
