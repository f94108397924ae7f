/*
 * Socket path defaults shared by the daemon and the client.
 */
#include "proto/defaults.h"

#include <stdlib.h>

#include "proto/xalloc.h"

char *default_socket_path(uid_t uid)
{
	const char *env = getenv("VIBE_SCHEDD_SOCKET");
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (env && *env)
		return xstrdup(env);
	if (uid == 0)
		return xstrdup(VIBE_SYSTEM_RUNTIME_DIR "/" VIBE_SOCKET_NAME);
	if (xdg && *xdg == '/')
		return xasprintf("%s/vibe-schedd/%s", xdg, VIBE_SOCKET_NAME);
	return xasprintf("/tmp/vibe-schedd-%u/%s", (unsigned)uid,
			 VIBE_SOCKET_NAME);
}
