/*
 * vibe-schedd: entry point.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("vibe-schedd %s\n", VIBE_VERSION);
		return 0;
	}
	printf("vibe-schedd %s\n", VIBE_VERSION);
	return 0;
}
