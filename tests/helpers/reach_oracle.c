/* Attack 7, an oracle: learn what exists where we may not look, through syd (which stats for us)
 * or through a child with other credentials.
 * Usage: reach_oracle DIR setuid          -> setuid= (to 65534), "served"
 *        reach_oracle DIR stat PATH...    -> stat_BASENAME= for each PATH (each under DIR), "served" */

#include "reach.h"

#include <sys/stat.h>

int main(int argc, char **argv) {
  require_sandbox("reach_oracle");
  check_args(argc >= 3, "reach_oracle DIR setuid | reach_oracle DIR stat PATH...");
  const char *dir = argv[1];
  size_t dir_len = strlen(dir);
  if (strcmp(argv[2], "setuid") == 0) {
    report("setuid", setuid(65534));
  } else if (strcmp(argv[2], "stat") == 0) {
    for (int i = 3; i < argc; i++) {
      if (strncmp(argv[i], dir, dir_len) != 0 || argv[i][dir_len] != '/') {
        fprintf(stderr, "reach_oracle: %s is not under %s\n", argv[i], dir);
        return 2;
      }
      struct stat st;
      const char *base = strrchr(argv[i], '/') + 1;
      char name[256];
      snprintf(name, sizeof name, "stat_%s", base);
      report(name, stat(argv[i], &st));
    }
  } else {
    fprintf(stderr, "reach_oracle: unknown mode %s\n", argv[2]);
    return 2;
  }
  served(dir);
  return 0;
}
