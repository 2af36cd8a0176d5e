/* dlopen_loop N LIBRARY: dlopen(3)s and dlclose(3)s LIBRARY N times (each load maps it again,
 * executable: one mmap with PROT_EXEC at least); exits 1 if a load fails. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  long n = atol(argv[1]);
  for (long i = 0; i < n; i++) {
    void *handle = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
      fprintf(stderr, "%s\n", dlerror());
      return 1;
    }
    dlclose(handle);
  }
  return 0;
}
