/*
 * vibectl: entry point.
 */
#include <stdio.h>

int main(void)
{
	printf("vibectl %s\n", VIBE_VERSION);
	return 0;
}
