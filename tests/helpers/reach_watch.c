/* Watches DIR/public and DIR/secret with inotify_add_watch and fanotify_mark (an inode mark on
 * a group reporting file ids, which Linux 5.13+ lets an unprivileged process make), then
 * writes DIR/public and reads one inotify event.
 * Usage: reach_watch DIR
 * Prints: "inotify_public=OK|ERRNO", "inotify_secret=...", "fanotify_public=...",
 * "fanotify_secret=...", and "event=public" once the watch on DIR/public saw the write. */
#include "reach.h"
#include <sys/fanotify.h>
#include <sys/inotify.h>

int main(int argc, char **argv) {
  require_sandbox("reach_watch");
  check_args(argc == 2, "reach_watch DIR");
  char public_path[4096], secret_path[4096];
  snprintf(public_path, sizeof public_path, "%s/public", argv[1]);
  snprintf(secret_path, sizeof secret_path, "%s/secret", argv[1]);
  int in = inotify_init1(IN_CLOEXEC);
  int wd = inotify_add_watch(in, public_path, IN_MODIFY);
  report("inotify_public", wd);
  report("inotify_secret", inotify_add_watch(in, secret_path, IN_MODIFY));
  int fan = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID | FAN_CLOEXEC, O_RDONLY);
  if (fan < 0) {
    report("fanotify_init", fan);
  } else {
    report("fanotify_public", fanotify_mark(fan, FAN_MARK_ADD, FAN_MODIFY, AT_FDCWD, public_path));
    report("fanotify_secret", fanotify_mark(fan, FAN_MARK_ADD, FAN_MODIFY, AT_FDCWD, secret_path));
  }
  int fd = open(public_path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd >= 0 && write(fd, "x", 1) == 1) close(fd);
  char buf[4096] __attribute__((aligned(8)));
  if (wd >= 0 && read(in, buf, sizeof buf) > 0 && ((struct inotify_event *)buf)->wd == wd) printf("event=public\n");
  return 0;
}
