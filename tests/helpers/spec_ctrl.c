/*
 * spec_ctrl: prints, for the speculation features store_bypass, indirect_branch and l1d_flush,
 * "NAME STATUS" with STATUS what PR_GET_SPECULATION_CTRL answers (a bit mask: 1 the process may
 * set it, 2 enabled, 4 disabled, 8 force-disabled), or "NAME ERRNO" when it fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

int main(void) {
	const char *names[] = {"store_bypass", "indirect_branch", "l1d_flush"};
	for (int feature = 0; feature < 3; feature++) {
		int status = prctl(PR_GET_SPECULATION_CTRL, feature, 0, 0, 0);
		if (status < 0) printf("%s %s\n", names[feature], strerrorname_np(errno));
		else printf("%s %d\n", names[feature], status);
	}
	return 0;
}
