/*
 * vibectl: entry point. Everything else (options, the command table,
 * the socket, the printers) lives in libclient.a so the unit tests can
 * drive it; this file only wires stdio and the exit code.
 */
#include <stdio.h>

#include "client/vibectl.h"

int main(int argc, char **argv)
{
	struct cli_ctx ctx;
	int rc;

	cli_ctx_init(&ctx);
	rc = vibectl_run(&ctx, argc, argv);
	cli_ctx_release(&ctx);
	if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
		perror("vibectl: stdout");
		rc = CLI_EXIT_DAEMON;
	}
	return rc;
}
