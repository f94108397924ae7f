/*
 * Starting one asset process, the way DESIGN §5 and STYLE.md say: without
 * copying the parent (clone(CLONE_VM|CLONE_VFORK), like posix_spawn, so a
 * large daemon still spawns fast), in its own session and process group,
 * signal dispositions and mask reset, stdin from /dev/null, stdout+stderr
 * into a pipe the daemon drains, no other descriptor inherited
 * (close_range), a clean environment given in full by the caller, the
 * working directory, and -- when the daemon is root and a user is given --
 * setgroups/setgid/setuid, each checked, before execve.
 *
 * Also: finding processes that were reparented to the daemon (it is a child
 * subreaper) and which run they belong to, so nothing a run started
 * survives it. No libevent here; the runner owns the loop side.
 */
#ifndef VIBE_SPAWN_H
#define VIBE_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct spawn_req {
	const char *path;		/* executable; searched in PATH of envp if no '/' */
	char *const *argv;		/* argv[0] first, NULL-terminated */
	char *const *envp;		/* the whole environment, NULL-terminated */
	const char *working_dir;	/* NULL: keep the daemon's (or HOME, see runner) */
	bool set_user;			/* drop to uid/gid/groups below */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;		/* supplementary groups (computed by the parent) */
	size_t ngroups;
};

struct spawn_result {
	pid_t pid;			/* also the process group and session id */
	int out_fd;			/* read end of stdout+stderr, O_CLOEXEC|O_NONBLOCK */
};

/* Makes the calling process a child subreaper (PR_SET_CHILD_SUBREAPER), so
 * a grandchild that called setsid() is still reparented to it. */
int spawn_become_subreaper(void);

/* Starts the process. Returns 0 and *ret once the child has exec'd, or a
 * negative errno with *cause (new) when any step failed: "cannot execute
 * /x/y: No such file or directory", "setuid(1001): Operation not permitted",
 * "chdir /srv: ...". Nothing is left running on failure. */
int spawn_start(const struct spawn_req *req, struct spawn_result *ret,
		char **cause);

/* PIDs of the processes whose parent is this process (from
 * /proc/self/task/<tid>/children, or a /proc scan). New array, *ret_n. */
int spawn_list_children(pid_t **ret_pids, size_t *ret_n);

/* True if process PID has NAME=VALUE in its initial environment
 * (/proc/PID/environ); false if not or if it cannot be read. */
bool spawn_has_env(pid_t pid, const char *name, const char *value);

/* Looks up a user for running a pipeline: uid, primary gid, supplementary
 * groups (getgrouplist), home, shell, name. 0 or -ENOENT / -errno with
 * *cause ("user 'alice' does not exist"). */
struct spawn_user {
	uid_t uid;
	gid_t gid;
	gid_t *groups;			/* new */
	size_t ngroups;
	char *name, *home, *shell;	/* new */
};
int spawn_user_lookup_name(const char *name, struct spawn_user *ret, char **cause);
int spawn_user_lookup_uid(uid_t uid, struct spawn_user *ret, char **cause);
void spawn_user_release(struct spawn_user *u);

#endif
