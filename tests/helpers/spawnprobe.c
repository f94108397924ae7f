/*
 * spawnprobe: prints what a spawned process sees, for tests/unit/
 * test-spawn.c. One "key=value" line each: pid, ppid, sid, pgid, uid, euid,
 * gid, egid, groups (comma-separated), cwd, fds (the open descriptors,
 * comma-separated, without the one used to list them), fd0..fd2 (their
 * targets), sigign/sigblk/sigcgt/sigpnd (from /proc/self/status, hex) and
 * envc (the number of environment entries). Owns nothing else; it changes
 * nothing and always exits 0.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

extern char **environ;

static void
print_ids(void)
{
	gid_t groups[256];
	int n, i;

	printf("pid=%d\nppid=%d\nsid=%d\npgid=%d\n", (int)getpid(),
	       (int)getppid(), (int)getsid(0), (int)getpgid(0));
	printf("uid=%u\neuid=%u\ngid=%u\negid=%u\n", (unsigned)getuid(),
	       (unsigned)geteuid(), (unsigned)getgid(), (unsigned)getegid());
	n = getgroups(256, groups);
	printf("groups=");
	for (i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", (unsigned)groups[i]);
	printf("\n");
}

static void
print_fds(void)
{
	char path[64], target[PATH_MAX];
	struct dirent *de;
	const char *sep = "";
	ssize_t n;
	DIR *d;
	int fd;

	d = opendir("/proc/self/fd");
	if (d == NULL) {
		printf("fds=?\n");
		return;
	}
	printf("fds=");
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		printf("%s%s", sep, de->d_name);
		sep = ",";
	}
	printf("\n");
	closedir(d);
	for (fd = 0; fd < 3; fd++) {
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof target - 1);
		target[n < 0 ? 0 : n] = '\0';
		printf("fd%d=%s\n", fd, n < 0 ? "closed" : target);
	}
}

static void
print_signals(void)
{
	static const char *const keys[] = { "SigPnd", "SigBlk", "SigIgn",
					    "SigCgt" };
	char line[256], *p;
	size_t i;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			if (strncmp(line, keys[i], 6) != 0 || line[6] != ':')
				continue;
			for (p = line + 7; *p == ' ' || *p == '\t'; p++)
				;
			printf("sig%c%c%c=%s", line[3] | 0x20, line[4],
			       line[5], p);
		}
	}
	fclose(f);
}

int
main(void)
{
	char cwd[PATH_MAX];
	size_t n = 0;

	print_ids();
	printf("cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
	print_fds();
	print_signals();
	while (environ != NULL && environ[n] != NULL)
		n++;
	printf("envc=%zu\n", n);
	return 0;
}
