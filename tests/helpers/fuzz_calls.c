/* Issue 12, hostile memory: drives every call syd traps (ffi/filter/table.zig's `.trap` rows, plus
 * ioctl and socket, trapped while their sandboxing is on) with random arguments and random
 * memory: pointers into unmapped and PROT_NONE pages, NULL, (void *)-1, kernel and non-canonical
 * addresses, strings and structs that end exactly at (or straddle) a RW/PROT_NONE page boundary,
 * lengths at the boundaries, sockaddrs of random families and lengths, msghdrs with random iovecs
 * and control buffers holding many cmsg headers with boundary cmsg_len values, SCM_RIGHTS with
 * garbage fds.
 *
 * Usage: fuzz_calls DIR SEED SECONDS
 *   DIR must hold a file `public` (read back at the end). The helper chdirs into DIR and never
 *   names anything outside it that a call could change: every path it generates is a pointer that
 *   faults, a string confined to DIR (relative, no "..", no leading "/", or DIR/...; symlink
 *   targets are confined too), or, for calls that only look (stat, open; an fd so opened is
 *   closed at once), "/proc/self/..." and "/dev/null". Calls that change an fd's file only get
 *   fds the helper opened inside DIR (never 0-2, never DIR itself). execve/execveat only get
 *   faulting pointers or names starting with "X", which nothing ever creates. FIFOs are made only
 *   at p1..p3, which no open names, and every open, socket and send is non-blocking.
 *   Refuses to run outside the sandbox (exit 99); alarm(SECONDS + 10) guards it.
 * Prints: "start seed=S", "progress calls=N" every 1000 calls, at the end "calls=N",
 *   "anomalies=N" (results the kernel could not give), one "stat NAME calls=N ok=N top=E:n,..."
 *   line per call, and "served" (or "unserved=ERRNO") for a last trapped open of DIR/public.
 * DIR/fuzz.log holds the last 64 calls (number, call, raw arguments, how the memory was built),
 *   written before each call, so a crash or hang of syd can be traced to the call. */
#include "reach.h"
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

typedef uint64_t u64;
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(a) ((a)[below(COUNT(a))])

/* Fixed fds (dup2'd to these numbers at setup). */
enum {
  FD_DGRAM_A = 100, /* socketpair(AF_UNIX, SOCK_DGRAM) */
  FD_DGRAM_B = 101,
  FD_STREAM_A = 102, /* socketpair(AF_UNIX, SOCK_STREAM) */
  FD_STREAM_B = 103,
  FD_UDP = 104,      /* UDP bound on 127.0.0.1 */
  FD_UDP_FREE = 105, /* UDP, unbound */
  FD_UNIX_SRV = 106, /* UNIX datagram bound at DIR/srv */
  FD_TCP_LISTEN = 107,
  FD_UDP6 = 108, /* UDP on ::1 (may be missing) */
  FD_FILE1 = 109, /* DIR/f1 */
  FD_FILE2 = 110, /* DIR/f2 */
  FD_SUB = 111,   /* DIR/sub */
  FD_FIXED_LAST = 111,
  FD_LOG = 1000, /* DIR/fuzz.log */
  FD_DIR = 1001, /* DIR: only ever a dirfd for named paths, or read */
};
static const int fixed_fds[] = {FD_DGRAM_A, FD_DGRAM_B, FD_STREAM_A, FD_STREAM_B, FD_UDP, FD_UDP_FREE,
                                FD_UNIX_SRV, FD_TCP_LISTEN, FD_UDP6, FD_FILE1, FD_FILE2, FD_SUB};
static const int socket_fds[] = {FD_DGRAM_A, FD_DGRAM_B, FD_STREAM_A, FD_STREAM_B, FD_UDP,
                                 FD_UDP_FREE, FD_UNIX_SRV, FD_TCP_LISTEN, FD_UDP6};

/* The random generator (xorshift64*). */
static u64 rng;
static u64 rnd(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 2685821657736338717ULL;
}
static u64 below(u64 n) { return rnd() % n; }
static int chance(int percent) { return (int)below(100) < percent; }

/* Scratch memory: [PROT_NONE page][SCR_SIZE RW][PROT_NONE page]. The first PAYLOAD bytes are
 * random bytes filled once (send payloads, xattr values); structures are bump-allocated after
 * them, afresh for every call; the last TAIL bytes take at most one object per call placed to
 * end exactly at scr_end, or to straddle it. Everything the kernel or syd may write into is in
 * here, so a write through any pointer this helper passes lands in scratch or faults. */
#define SCR_SIZE (2 * 1024 * 1024)
#define PAYLOAD (80 * 1024)
#define TAIL (32 * 1024)
static unsigned char *scr, *scr_end;
static size_t bump;
static int tail_used;
static unsigned char *hole; /* an unmapped page */

static const char *dir;
static char abs_names[8][4200];
static int abs_count;
static unsigned short udp_port, tcp_port, udp6_port;
static int own_uid, own_gid, own_pid;

/* The call being made, for DIR/fuzz.log. */
static unsigned long calls, anomalies;
static char note[448];
static size_t note_len;
static void notef(const char *fmt, ...) {
  if (note_len >= sizeof note - 1) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(note + note_len, sizeof note - note_len, fmt, ap);
  va_end(ap);
  if (n > 0) note_len += (size_t)n;
  if (note_len > sizeof note - 1) note_len = sizeof note - 1;
}

static void *alloc(size_t size) {
  size = (size + 15) & ~(size_t)15;
  if (bump + size > SCR_SIZE - TAIL) {
    fprintf(stderr, "fuzz_calls: scratch exhausted (%zu + %zu)\n", bump, size);
    exit(3);
  }
  void *p = scr + bump;
  bump += size;
  return p;
}

/* Copies LEN bytes of SRC into scratch: mostly into the bump area; sometimes (once per call)
 * ending exactly at the PROT_NONE page, or straddling it (only a prefix readable). */
static u64 place_mode(const void *src, size_t len, int mode) {
  if (mode != 0 && (tail_used || len > TAIL || len == 0)) mode = 0;
  if (mode == 1) { /* ends exactly at the boundary */
    tail_used = 1;
    memcpy(scr_end - len, src, len);
    notef("@end-%zu ", len);
    return (u64)(scr_end - len);
  }
  if (mode == 2) { /* straddles: K of LEN bytes readable */
    size_t k = len > 1 ? 1 + below(len - 1) : 0;
    if (k == 0) return (u64)scr_end;
    tail_used = 1;
    memcpy(scr_end - k, src, k);
    notef("@straddle%zu/%zu ", k, len);
    return (u64)(scr_end - k);
  }
  void *p = alloc(len ? len : 1);
  memcpy(p, src, len);
  return (u64)p;
}
static u64 place(const void *src, size_t len) {
  int r = (int)below(100);
  return place_mode(src, len, r < 80 ? 0 : r < 90 ? 1 : 2);
}

/* A pointer the kernel (and syd) cannot read: every access faults. */
static int quiet; /* while building many iovecs: no note per pointer */
static u64 bad_ptr(void) {
  u64 p;
  switch (below(9)) {
  case 0: p = 0; break;
  case 1: p = (u64)-1; break;
  case 2: p = (u64)hole; break;
  case 3: p = (u64)scr_end; break;            /* PROT_NONE */
  case 4: p = (u64)scr_end + 4095; break;     /* PROT_NONE, last byte */
  case 5: p = (u64)scr - 1; break;            /* PROT_NONE page before */
  case 6: p = 0x1000; break;                  /* below mmap_min_addr */
  case 7: p = 0x0000800000000000ULL; break;   /* non-canonical */
  default: p = 0xffffffff81000000ULL; break;  /* kernel */
  }
  if (!quiet) notef("bad:%llx ", (unsigned long long)p);
  return p;
}

/* Boundary lengths. */
static const u64 lengths[] = {0, 1, 2, 15, 16, 17, 24, 25, 127, 128, 255, 256, 4095, 4096, 4097,
                              65535, 65536, 65537, (1ULL << 31) - 1, 1ULL << 31, 1ULL << 32,
                              (1ULL << 63), UINT64_MAX, UINT64_MAX - 7};
static u64 gen_len(void) {
  if (chance(15)) return below(70000);
  if (chance(5)) return rnd();
  return PICK(lengths);
}

/* A writable buffer of about SIZE bytes in scratch (or a faulting pointer, or one ending at the
 * boundary so that a write straddles it). */
static u64 out_buf(size_t size) {
  int r = (int)below(100);
  if (r < 12) return bad_ptr();
  if (r < 24 && !tail_used) {
    tail_used = 1;
    size_t k = 1 + below(size > 1 ? size : 1);
    notef("out@end-%zu ", k);
    return (u64)(scr_end - k);
  }
  return (u64)alloc(size);
}

/* ---- paths ---- */

enum kind { K_MUT, K_UNLINK, K_OPEN, K_READ, K_EXEC, K_FIFO, K_TARGET };
struct pinfo {
  int named; /* a non-empty name confined to DIR: AT_FDCWD and DIR's fd are fine with it */
  int ro;    /* names something outside DIR, or DIR itself: an fd opened on it is closed at once */
};

static const char *mut_pool[] = {"a", "b", "c", "d", "d/e", "d/e/f", "e", "sub", "sub/x", "sub/y",
                                 "sub/x/y", "lnk", "a/", "d/e/", "zz", "d//e", "./a", "sub/./x",
                                 "@0", "@1", "@2", ""};
static const char *fifo_pool[] = {"p1", "p2", "p3"};
static const char *ro_pool[] = {"/proc/self/status", "/proc/self/maps", "/proc/self/fd",
                                "/proc/self/fd/1", "/proc/self/fd/100", "/proc/self/fd/109",
                                "/proc/self/cwd", "/proc/self/cwd/f1", "/proc/self/exe",
                                "/proc/self/task", "/proc/self/attr/current", "/dev/null",
                                "/proc/self/fdinfo/1", "/proc/self/ns/net", "/proc/self/cwd/", "."};
static const char *extra_read[] = {"srv", "f1", "f2", "public", "fuzz.log", "@3", "/proc/self/root",
                                   "/proc/self/cwd/..", "/proc/self/fd/0"};
static const char *exec_pool[] = {"Xnoexec", "d/Xnoexec", "sub/Xnoexec", "Xnoexec/", "@4"};

/* "@N": DIR/... (an absolute name inside DIR). */
static const char *expand(const char *name) {
  if (name[0] == '@') return abs_names[name[1] - '0'];
  return name;
}

static char strbuf[8192];

static u64 gen_path(enum kind kind, struct pinfo *pi) {
  pi->named = 0;
  pi->ro = 0;
  int r = (int)below(100);
  if (r < 8) return bad_ptr();
  if (r < 18) {
    /* A string at the page boundary: terminated (its NUL is the last readable byte) or not (the
     * kernel reads on into PROT_NONE). Terminated ones use a few fixed spellings, so the names
     * they create stay few; exec ones start with X. */
    static const size_t blens[] = {1, 2, 3, 15, 16, 100, 255, 256, 4095, 4096, 4097, 5000};
    size_t len = PICK(blens);
    int terminated = kind != K_FIFO && chance(60);
    int deep = chance(40);
    for (size_t i = 0; i < len; i++) {
      if (terminated) strbuf[i] = deep && (i & 1) ? '/' : 'k';
      else strbuf[i] = (char)('a' + below(26));
    }
    if (kind == K_EXEC) strbuf[0] = 'X';
    if (terminated && strbuf[len - 1] == '/') strbuf[len - 1] = 'k';
    if (tail_used) return bad_ptr();
    tail_used = 1;
    if (terminated) {
      strbuf[len] = 0;
      memcpy(scr_end - len - 1, strbuf, len + 1);
      notef("str@end:%zu%s ", len, deep ? "deep" : "");
      pi->named = 1;
      return (u64)(scr_end - len - 1);
    }
    memcpy(scr_end - len, strbuf, len);
    notef("str-unterminated:%zu ", len);
    return (u64)(scr_end - len);
  }
  const char *name;
  switch (kind) {
  case K_FIFO: name = PICK(fifo_pool); break;
  case K_EXEC: name = PICK(exec_pool); break;
  case K_UNLINK: name = chance(20) ? PICK(fifo_pool) : PICK(mut_pool); break;
  case K_TARGET: name = PICK(mut_pool); break;
  case K_OPEN:
    if (chance(25)) {
      name = PICK(ro_pool);
      pi->ro = 1;
    } else {
      name = chance(10) ? (chance(50) ? "f1" : "f2") : PICK(mut_pool);
    }
    break;
  case K_READ:
    if (chance(25)) name = PICK(ro_pool);
    else if (chance(15)) name = PICK(extra_read);
    else if (chance(10)) name = PICK(fifo_pool);
    else name = PICK(mut_pool);
    break;
  default: name = PICK(mut_pool); break;
  }
  const char *full = expand(name);
  if (kind != K_READ && kind != K_OPEN && strcmp(name, "@3") == 0) full = ""; /* DIR itself: reads only */
  if (kind == K_TARGET && full[0] == '/') full = name + 1; /* targets stay relative: "0".."2" */
  pi->named = full[0] != 0;
  notef("path:%s ", name);
  return place(full, strlen(full) + 1);
}

/* ---- fds ---- */

static int any_fd(void) {
  static const int specials[] = {-1, AT_FDCWD, 1023, INT_MAX, INT_MIN, 4096};
  switch (below(10)) {
  case 0: return PICK(specials);
  case 1: return (int)rnd();
  case 2: case 3: case 4: return (int)below(21);
  case 9: return FD_DIR;
  default: return PICK(fixed_fds);
  }
}
/* An fd whose file a call may change: never 0-2 (the test's pipes, maybe a terminal), DIR or the
 * log. Any fd in 0..99 that is open was opened by this helper inside DIR (others are closed). */
static int mut_fd(void) {
  int fd = any_fd();
  if (fd == 0 || fd == 1 || fd == 2 || fd == FD_DIR || fd == FD_LOG || fd == AT_FDCWD) fd = -1;
  return fd;
}
/* A dirfd for a call that changes something: with a name confined to DIR anything goes; with an
 * empty or faulting path (AT_EMPTY_PATH, a NULL path of utimensat) only fds mut_fd allows. */
static int mut_dirfd(const struct pinfo *pi) {
  if (pi->named && chance(60)) return chance(50) ? AT_FDCWD : chance(50) ? FD_DIR : FD_SUB;
  return mut_fd();
}
static int sock_fd(void) { return chance(80) ? PICK(socket_fds) : chance(50) ? (int)below(41) : any_fd(); }
/* The fd argument, sometimes with garbage in the upper 32 bits (the kernel reads an int). */
static u64 fdarg(int fd) {
  u64 v = (u64)(int64_t)fd;
  if (chance(8)) v = (rnd() << 32) | (uint32_t)fd;
  return v;
}

static u64 rand_flags(void) {
  static const u64 bits[] = {0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800,
                             0x1000, 0x2000, 0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000};
  if (chance(10)) return rnd();
  if (chance(30)) return 0;
  u64 f = 0;
  int n = (int)below(4);
  for (int i = 0; i < n; i++) f |= PICK(bits);
  return f;
}

static u64 open_flags(void) {
  static const u64 bits[] = {O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND,
                             O_DSYNC, O_DIRECT, O_LARGEFILE, O_DIRECTORY, O_NOFOLLOW, O_NOATIME,
                             O_CLOEXEC, O_SYNC, O_PATH, O_TMPFILE, 0x1000000 /* unused bit */};
  u64 f = 0;
  if (chance(5)) f = rnd() & 0xffffffffULL;
  int n = (int)below(5);
  for (int i = 0; i < n; i++) f |= PICK(bits);
  if (chance(3)) f |= rnd() << 32;
  return f | O_NONBLOCK; /* a FIFO or a device never blocks the helper */
}

static u64 gen_mode(void) {
  if (chance(10)) return rnd();
  return below(010000);
}

/* ---- sockaddrs ---- */

static u64 gen_addr(u64 *len_out) {
  unsigned char sa[300];
  for (size_t i = 0; i < sizeof sa; i++) sa[i] = (unsigned char)rnd();
  size_t natural = 0;
  int family;
  int r = (int)below(100);
  if (r < 6) {
    *len_out = gen_len();
    return bad_ptr();
  }
  if (r < 36) family = AF_UNIX;
  else if (r < 62) family = AF_INET;
  else if (r < 82) family = AF_INET6;
  else {
    static const int others[] = {AF_UNSPEC, AF_NETLINK, AF_PACKET, 38 /* AF_ALG */, 40 /* AF_VSOCK */,
                                 0xffff, 45, 17};
    family = chance(50) ? PICK(others) : (int)(rnd() & 0xffff);
    if (family == AF_UNIX || family == AF_INET || family == AF_INET6) family = AF_UNSPEC;
    natural = 16 + below(112);
    notef("addr:fam%d ", family);
  }
  sa[0] = (unsigned char)family;
  sa[1] = (unsigned char)(family >> 8);
  if (family == AF_UNIX) {
    char *path = (char *)sa + 2;
    memset(path, 0, sizeof sa - 2);
    int kind = (int)below(8);
    const char *name = "";
    switch (kind) {
    case 0: name = "srv"; break;
    case 1: name = abs_names[5]; break; /* DIR/srv */
    case 2: name = expand(PICK(mut_pool)); break;
    case 3: { /* abstract: @syd-fuzz-PID-N */
      int n = snprintf(path + 1, 100, "syd-fuzz-%d-%d", own_pid, (int)below(3));
      natural = 2 + 1 + (size_t)n;
      notef("addr:unix:@%s ", path + 1);
      break;
    }
    case 4: /* unterminated, the whole sun_path */
      for (int i = 0; i < 108; i++) path[i] = (char)('a' + below(26));
      natural = 110;
      notef("addr:unix:unterminated ");
      break;
    case 5: natural = 2; notef("addr:unix:unnamed "); break;
    case 6: name = "p1"; break;
    default: name = expand(PICK(mut_pool)); break;
    }
    if (kind != 3 && kind != 4 && kind != 5) {
      size_t n = strlen(name);
      if (n > 107) n = 107;
      memcpy(path, name, n);
      natural = 2 + n + (chance(50) ? 1 : 0);
      notef("addr:unix:%s ", name);
    }
  } else if (family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)sa;
    static const uint32_t loop[] = {0x7f000001, 0x00000000, 0x7f000002};
    int outside = chance(15);
    uint32_t ip = outside ? 0xc0000201 /* 192.0.2.1, TEST-NET-1 */ : PICK(loop);
    unsigned short port = outside ? (unsigned short)rnd() : chance(45) ? udp_port : chance(60) ? tcp_port : 0;
    in->sin_addr.s_addr = htonl(ip);
    in->sin_port = htons(port);
    natural = sizeof *in;
    notef("addr:inet:%08x!%u ", ip, port);
  } else if (family == AF_INET6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
    int which = (int)below(5);
    memset(&in6->sin6_addr, 0, 16);
    unsigned short port = chance(40) ? udp_port : chance(50) ? udp6_port : chance(50) ? tcp_port : 0;
    switch (which) {
    case 0: in6->sin6_addr.s6_addr[15] = 1; break; /* ::1 */
    case 1: /* ::ffff:127.0.0.1 */
      in6->sin6_addr.s6_addr[10] = 0xff;
      in6->sin6_addr.s6_addr[11] = 0xff;
      in6->sin6_addr.s6_addr[12] = 127;
      in6->sin6_addr.s6_addr[15] = 1;
      break;
    case 2: break; /* :: */
    case 3: /* 2001:db8::1, documentation */
      in6->sin6_addr.s6_addr[0] = 0x20;
      in6->sin6_addr.s6_addr[1] = 0x01;
      in6->sin6_addr.s6_addr[2] = 0x0d;
      in6->sin6_addr.s6_addr[3] = 0xb8;
      in6->sin6_addr.s6_addr[15] = 1;
      port = (unsigned short)rnd();
      break;
    default: /* ::ffff:192.0.2.1 */
      in6->sin6_addr.s6_addr[10] = 0xff;
      in6->sin6_addr.s6_addr[11] = 0xff;
      in6->sin6_addr.s6_addr[12] = 192;
      in6->sin6_addr.s6_addr[14] = 2;
      in6->sin6_addr.s6_addr[15] = 1;
      port = (unsigned short)rnd();
      break;
    }
    in6->sin6_port = htons(port);
    in6->sin6_flowinfo = chance(80) ? 0 : (uint32_t)rnd();
    in6->sin6_scope_id = chance(80) ? 0 : (uint32_t)rnd();
    natural = sizeof *in6;
    notef("addr:inet6:%d!%u ", which, port);
  }
  static const u64 alens[] = {0, 1, 2, 3, 4, 15, 16, 17, 23, 24, 27, 28, 29, 109, 110, 111, 112,
                              127, 128, 129, 255, 256, 0x80000000ULL, 0xffffffffULL, 0x100000010ULL};
  u64 len = chance(70) ? natural : chance(80) ? PICK(alens) : below(257);
  *len_out = len;
  notef("alen=%llu ", (unsigned long long)len);
  size_t size = natural > 16 ? natural : 16;
  if (len <= 256 && len > size) size = (size_t)len; /* the kernel and syd read LEN bytes of it */
  return place(sa, size);
}

/* ---- messages ---- */

static u64 gen_iov(u64 *count_out) {
  static const u64 counts[] = {0, 1, 1, 2, 3, 8, 64, 1023, 1024, 1025, 1ULL << 31, UINT64_MAX};
  u64 count = PICK(counts);
  *count_out = count;
  if (chance(8)) return bad_ptr();
  size_t n = count > 1100 ? 1100 : (size_t)count;
  if (n == 0) n = 1;
  u64 *iov = alloc(n * 16);
  notef("iov=%llu ", (unsigned long long)count);
  quiet = 1;
  for (size_t i = 0; i < n; i++) {
    int r = (int)below(100);
    u64 len = chance(60) ? below(300) : gen_len();
    u64 base;
    if (r < 10) base = bad_ptr();
    else if (r < 15) base = (u64)scr_end - below(64) - 1; /* runs into PROT_NONE when long */
    else base = (u64)(scr + below(PAYLOAD - 65537 > 0 ? PAYLOAD - 65537 : 1));
    iov[2 * i] = base;
    iov[2 * i + 1] = len;
  }
  quiet = 0;
  if (n * 16 <= TAIL && chance(15)) return place_mode(iov, n * 16, chance(50) ? 1 : 2);
  return (u64)iov;
}

/* A control buffer of many cmsg headers with boundary cmsg_len values. */
static u64 gen_control(u64 *controllen_out) {
  static const size_t sizes[] = {0, 16, 24, 32, 64, 256, 1024, 4096, 4097, 8192, 20000};
  size_t size = PICK(sizes);
  unsigned char *buf = alloc(size + 64);
  for (size_t i = 0; i < size + 64; i++) buf[i] = (unsigned char)rnd();
  static const int header_counts[] = {1, 2, 3, 8, 16, 64, 200, 1000};
  int headers = PICK(header_counts), made = 0;
  size_t at = 0;
  while (at + 16 <= size && made < headers) {
    size_t datalen;
    int type = chance(60) ? SCM_RIGHTS : chance(50) ? SCM_CREDENTIALS : (int)below(8);
    if (type == SCM_CREDENTIALS) datalen = 12;
    else datalen = 4 * (chance(70) ? below(5) : chance(50) ? 253 + below(3) : below(64));
    if (at + 16 + datalen > size) datalen = (size - at - 16) & ~(size_t)3;
    static const u64 boundary[] = {0, 15, 16, 17, 1ULL << 63, UINT64_MAX, UINT64_MAX - 7, 24, 20};
    u64 len;
    int r = (int)below(100);
    if (r < 55) len = 16 + datalen;
    else if (r < 80) len = PICK(boundary);
    else if (r < 90) len = size - at; /* exactly the rest of the buffer */
    else len = size - at + 1;         /* one past it */
    memcpy(buf + at, &len, 8);
    int level = chance(85) ? SOL_SOCKET : chance(50) ? IPPROTO_IP : (int)rnd();
    memcpy(buf + at + 8, &level, 4);
    memcpy(buf + at + 12, &type, 4);
    if (type == SCM_RIGHTS) {
      static const int garbage[] = {-1, 9999, INT_MAX, INT_MIN, 1023, 1, 0, 3, 4, 5};
      for (size_t i = 0; i + 4 <= datalen; i += 4) {
        int fd = chance(50) ? PICK(garbage) : chance(70) ? PICK(fixed_fds) : (int)rnd();
        memcpy(buf + at + 16 + i, &fd, 4);
      }
    } else if (type == SCM_CREDENTIALS && datalen >= 12) {
      int cred[3] = {chance(50) ? own_pid : (int)rnd(), chance(70) ? own_uid : (int)rnd(),
                     chance(70) ? own_gid : (int)rnd()};
      memcpy(buf + at + 16, cred, 12);
    }
    at += (16 + datalen + 7) & ~(size_t)7;
    made++;
  }
  static const u64 clens[] = {0, 15, 16, 17, 4096, 4097, 1ULL << 31, 1ULL << 32, 1ULL << 63, UINT64_MAX};
  u64 controllen;
  int r = (int)below(100);
  if (r < 50) controllen = size;
  else if (r < 60) controllen = size + 1;
  else if (r < 70) controllen = at;
  else if (r < 90) controllen = PICK(clens);
  else controllen = below(size + 1);
  *controllen_out = controllen;
  notef("control=%zu/%d hdrs clen=%llu ", size, made, (unsigned long long)controllen);
  if (chance(6)) return bad_ptr();
  if (size > 0 && size <= TAIL && chance(20)) return place_mode(buf, size, chance(50) ? 1 : 2);
  return (u64)buf;
}

struct kmsghdr {
  u64 name;
  uint32_t namelen, pad0;
  u64 iov, iovlen, control, controllen;
  uint32_t flags, pad1;
};
_Static_assert(sizeof(struct kmsghdr) == 56, "msghdr");

static void gen_msghdr(struct kmsghdr *m) {
  memset(m, 0, sizeof *m);
  u64 namelen = 0;
  if (chance(55)) m->name = gen_addr(&namelen);
  else if (chance(20)) {
    m->name = bad_ptr();
    namelen = gen_len();
  }
  m->namelen = (uint32_t)namelen;
  m->iov = gen_iov(&m->iovlen);
  if (chance(55)) m->control = gen_control(&m->controllen);
  else if (chance(20)) {
    m->control = bad_ptr();
    m->controllen = gen_len();
  }
  m->flags = (uint32_t)rnd();
  if (chance(3)) m->pad0 = (uint32_t)rnd();
}

static u64 send_flags(void) {
  static const u64 bits[] = {MSG_OOB, MSG_DONTROUTE, MSG_EOR, MSG_NOSIGNAL, MSG_MORE, MSG_CONFIRM,
                             0x4000000 /* MSG_ZEROCOPY */, 0x20000000 /* MSG_FASTOPEN */, MSG_TRUNC,
                             MSG_PEEK, MSG_WAITALL, MSG_ERRQUEUE, 0x80000000};
  u64 f = 0;
  int n = (int)below(3);
  for (int i = 0; i < n; i++) f |= PICK(bits);
  if (chance(5)) f |= rnd() & 0xffffffffULL;
  return f | MSG_DONTWAIT; /* never blocks, whatever the socket */
}

/* ---- calls ---- */

static unsigned long st_calls[512], st_ok[512];
static unsigned st_err[512][134];

static const char *call_name(int nr) {
  switch (nr) {
#define N(x) case SYS_##x: return #x;
    N(open) N(openat) N(openat2) N(creat) N(stat) N(lstat) N(newfstatat) N(statx) N(statfs)
    N(readlink) N(readlinkat) N(access) N(faccessat) N(faccessat2) N(execve) N(execveat)
    N(unlink) N(unlinkat) N(rmdir) N(rename) N(renameat) N(renameat2) N(link) N(linkat)
    N(symlink) N(symlinkat) N(mkdir) N(mkdirat) N(truncate) N(ftruncate) N(fallocate) N(chdir)
    N(fchdir) N(getdents64) N(getdents) N(chmod) N(fchmod) N(fchmodat) N(fchmodat2) N(chown)
    N(lchown) N(fchown) N(fchownat) N(setxattr) N(lsetxattr) N(fsetxattr) N(removexattr)
    N(lremovexattr) N(fremovexattr) N(utime) N(utimes) N(futimesat) N(utimensat) N(mknod)
    N(mknodat) N(bind) N(connect) N(sendto) N(sendmsg) N(sendmmsg) N(recvmsg) N(recvmmsg) N(socket) N(ioctl)
    N(rt_sigaction) N(chroot)
#undef N
  default: return "?";
  }
}

/* Logs the call to DIR/fuzz.log (a ring of 64 records of 512 bytes, written before the call),
 * makes it, and counts its outcome. */
static char rec[512];
static long call6(int nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
  int n = snprintf(rec, sizeof rec, "n=%lu %s(%d) args=%llx,%llx,%llx,%llx,%llx,%llx %s", calls,
                   call_name(nr), nr, (unsigned long long)a0, (unsigned long long)a1,
                   (unsigned long long)a2, (unsigned long long)a3, (unsigned long long)a4,
                   (unsigned long long)a5, note);
  if (n < 0) n = 0;
  if (n > 510) n = 510;
  memset(rec + n, ' ', 511 - (size_t)n);
  rec[511] = '\n';
  if (pwrite(FD_LOG, rec, sizeof rec, (off_t)(calls % 64) * 512) < 0) {}
  long rc = syscall(nr, a0, a1, a2, a3, a4, a5);
  int e = errno;
  calls++;
  st_calls[nr]++;
  if (rc >= 0) st_ok[nr]++;
  else if (e > 0 && e < 134) st_err[nr][e]++;
  errno = e;
  return rc;
}
#define C(nr, ...) call6_wrap(nr, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define call6_wrap(nr, a, b, c, d, e, f, ...) call6(nr, (u64)(a), (u64)(b), (u64)(c), (u64)(d), (u64)(e), (u64)(f))

static void anomaly(const char *what, long rc) {
  anomalies++;
  if (anomalies <= 20) printf("anomaly %s rc=%ld: %.*s\n", what, rc, 400, rec);
}

/* An fd result: kept when it names something inside DIR and is low, closed otherwise. */
static void took_fd(long rc, int ro) {
  if (rc < 0) return;
  if (rc >= 100 && rc != FD_LOG) {
    anomaly("fd-in-fixed-range", rc);
    return;
  }
  if (ro || rc > 40 || rc == 1 || rc == 2) close((int)rc);
}

static void back_home(void) {
  if (chdir(dir) != 0) {
    printf("cannot chdir back to DIR: %s\n", errno_name(errno));
    exit(1);
  }
}

static void fuzz_one(void) {
  struct pinfo p1, p2;
  u64 path, path2;
  long rc;
  int fd;
  switch (below(66)) {
  case 0: /* open */
    path = gen_path(K_OPEN, &p1);
    rc = C(SYS_open, path, open_flags(), gen_mode());
    took_fd(rc, p1.ro);
    break;
  case 1: { /* openat */
    path = gen_path(K_OPEN, &p1);
    fd = any_fd();
    rc = C(SYS_openat, fdarg(fd), path, open_flags(), gen_mode());
    took_fd(rc, p1.ro || (fd != AT_FDCWD && fd != FD_SUB && fd != FD_DIR));
    break;
  }
  case 2: { /* openat2 with random open_how and sizes */
    path = gen_path(K_OPEN, &p1);
    fd = any_fd();
    unsigned char how[4200];
    memset(how, 0, sizeof how);
    u64 fl = open_flags(), mode = gen_mode(), resolve = chance(75) ? 0 : chance(50) ? below(64) : rnd();
    memcpy(how, &fl, 8);
    memcpy(how + 8, &mode, 8);
    memcpy(how + 16, &resolve, 8);
    if (chance(20)) how[24 + below(64)] = (unsigned char)(1 + below(255));
    static const u64 sizes[] = {0, 8, 16, 23, 24, 24, 24, 25, 32, 88, 4096, 4097, 65536, UINT64_MAX, 1ULL << 32};
    u64 size = PICK(sizes);
    notef("how=%llx,%llo,%llx size=%llu ", (unsigned long long)fl, (unsigned long long)mode,
          (unsigned long long)resolve, (unsigned long long)size);
    u64 how_ptr = chance(8) ? bad_ptr() : place(how, size <= 4200 && size > 24 ? size : 24 + 64);
    rc = C(SYS_openat2, fdarg(fd), path, how_ptr, size);
    took_fd(rc, p1.ro || (fd != AT_FDCWD && fd != FD_SUB && fd != FD_DIR));
    break;
  }
  case 3: /* creat */
    path = gen_path(K_MUT, &p1);
    rc = C(SYS_creat, path, gen_mode());
    took_fd(rc, 0);
    break;
  case 4: C(SYS_stat, gen_path(K_READ, &p1), out_buf(144)); break;
  case 5: C(SYS_lstat, gen_path(K_READ, &p1), out_buf(144)); break;
  case 6: C(SYS_newfstatat, fdarg(any_fd()), gen_path(K_READ, &p1), out_buf(144), rand_flags()); break;
  case 7: C(SYS_statx, fdarg(any_fd()), gen_path(K_READ, &p1), rand_flags(), chance(50) ? 0xfff : rnd(), out_buf(256)); break;
  case 8: C(SYS_statfs, gen_path(K_READ, &p1), out_buf(120)); break;
  case 9: C(SYS_readlink, gen_path(K_READ, &p1), out_buf(4200), gen_len()); break;
  case 10: C(SYS_readlinkat, fdarg(any_fd()), gen_path(K_READ, &p1), out_buf(4200), gen_len()); break;
  case 11: C(SYS_access, gen_path(K_READ, &p1), chance(80) ? below(8) : rnd()); break;
  case 12: C(SYS_faccessat, fdarg(any_fd()), gen_path(K_READ, &p1), chance(80) ? below(8) : rnd()); break;
  case 13: C(SYS_faccessat2, fdarg(any_fd()), gen_path(K_READ, &p1), below(8), rand_flags()); break;
  case 14: case 15: { /* execve, execveat: nothing they name exists; argv/envp random */
    path = gen_path(K_EXEC, &p1);
    u64 *argv = alloc(8 * 8);
    for (int i = 0; i < 8; i++) argv[i] = chance(50) ? bad_ptr() : (u64)(scr + below(PAYLOAD));
    if (chance(50)) argv[below(8)] = 0;
    u64 a = chance(30) ? bad_ptr() : chance(50) ? (u64)argv : place_mode(argv, 64, 1 + (int)below(2));
    u64 e = chance(30) ? bad_ptr() : (u64)argv;
    if (below(2) == 0) {
      rc = C(SYS_execve, path, a, e);
    } else {
      static const int exec_fds[] = {AT_FDCWD, -1, INT_MAX, 1023, FD_DIR, FD_SUB, FD_UDP, FD_DGRAM_A};
      rc = C(SYS_execveat, fdarg(PICK(exec_fds)), path, a, e, rand_flags());
    }
    if (rc >= 0) anomaly("exec-succeeded", rc);
    break;
  }
  case 16: C(SYS_unlink, gen_path(K_UNLINK, &p1)); break;
  case 17: path = gen_path(K_UNLINK, &p1); C(SYS_unlinkat, fdarg(mut_dirfd(&p1)), path, chance(40) ? 0x200 : rand_flags()); break;
  case 18: C(SYS_rmdir, gen_path(K_MUT, &p1)); break;
  case 19: C(SYS_rename, gen_path(K_MUT, &p1), gen_path(K_MUT, &p2)); break;
  case 20:
    path = gen_path(K_MUT, &p1);
    path2 = gen_path(K_MUT, &p2);
    C(SYS_renameat, fdarg(mut_dirfd(&p1)), path, fdarg(mut_dirfd(&p2)), path2);
    break;
  case 21:
    path = gen_path(K_MUT, &p1);
    path2 = gen_path(K_MUT, &p2);
    C(SYS_renameat2, fdarg(mut_dirfd(&p1)), path, fdarg(mut_dirfd(&p2)), path2, chance(60) ? below(8) : rnd());
    break;
  case 22: C(SYS_link, gen_path(K_MUT, &p1), gen_path(K_MUT, &p2)); break;
  case 23:
    path = gen_path(K_MUT, &p1);
    path2 = gen_path(K_MUT, &p2);
    C(SYS_linkat, fdarg(mut_dirfd(&p1)), path, fdarg(mut_dirfd(&p2)), path2,
      chance(60) ? PICK(((u64[]){0, 0x400, 0x1000, 0x1400})) : rand_flags());
    break;
  case 24: C(SYS_symlink, gen_path(K_TARGET, &p1), gen_path(K_MUT, &p2)); break;
  case 25:
    path = gen_path(K_TARGET, &p1);
    path2 = gen_path(K_MUT, &p2);
    C(SYS_symlinkat, path, fdarg(mut_dirfd(&p2)), path2);
    break;
  case 26: C(SYS_mkdir, gen_path(K_MUT, &p1), gen_mode()); break;
  case 27: path = gen_path(K_MUT, &p1); C(SYS_mkdirat, fdarg(mut_dirfd(&p1)), path, gen_mode()); break;
  case 28: { /* truncate: sparse lengths only */
    static const u64 lens[] = {0, 1, 4096, 65537, (1ULL << 31) - 1, 1ULL << 40, (u64)-1, (1ULL << 63) - 1};
    C(SYS_truncate, gen_path(K_MUT, &p1), chance(80) ? PICK(lens) : below(1 << 20));
    break;
  }
  case 29: {
    static const u64 lens[] = {0, 1, 4096, 65537, 1ULL << 40, (u64)-1, (1ULL << 63) - 1};
    C(SYS_ftruncate, fdarg(mut_fd()), chance(80) ? PICK(lens) : below(1 << 20));
    break;
  }
  case 30: { /* fallocate: at most ~64 KiB allocated per call (the files stay few) */
    static const u64 offs[] = {0, 4096, 1ULL << 40, (u64)-1, (1ULL << 63) - 1};
    static const u64 lens[] = {0, 1, 4096, 65537, (u64)-1, (1ULL << 63) - 1};
    static const u64 modes[] = {0, 1, 3, 0x10, 0x11, 0x20, 0x8, 0x40, 0xffffffff};
    C(SYS_fallocate, fdarg(mut_fd()), PICK(modes), PICK(offs), PICK(lens));
    break;
  }
  case 31: C(SYS_chdir, gen_path(K_READ, &p1)); back_home(); break;
  case 32: C(SYS_fchdir, fdarg(any_fd())); back_home(); break;
  case 33: case 34: { /* getdents64, getdents */
    static const u64 counts[] = {0, 1, 18, 19, 24, 280, 4096, 32768, 65536, 65537, 1ULL << 31, UINT64_MAX};
    u64 count = chance(80) ? PICK(counts) : below(70000);
    u64 buf = out_buf(count < 70000 ? count + 1 : 70000);
    fd = chance(50) ? PICK(((int[]){FD_DIR, FD_SUB})) : any_fd();
    C(below(2) ? SYS_getdents64 : SYS_getdents, fdarg(fd), buf, count);
    if (chance(30)) { lseek(FD_DIR, 0, SEEK_SET); lseek(FD_SUB, 0, SEEK_SET); }
    break;
  }
  case 35: C(SYS_chmod, gen_path(K_MUT, &p1), gen_mode()); break;
  case 36: C(SYS_fchmod, fdarg(mut_fd()), gen_mode()); break;
  case 37: path = gen_path(K_MUT, &p1); C(SYS_fchmodat, fdarg(mut_dirfd(&p1)), path, gen_mode()); break;
  case 38:
    path = gen_path(K_MUT, &p1);
    C(SYS_fchmodat2, fdarg(mut_dirfd(&p1)), path, gen_mode(), chance(50) ? PICK(((u64[]){0, 0x100, 0x1000, 0x1100})) : rand_flags());
    break;
  case 39: case 40: case 41: case 42: { /* chown, lchown, fchown, fchownat */
    u64 uid = chance(40) ? (u64)own_uid : chance(40) ? (u64)-1 : rnd();
    u64 gid = chance(40) ? (u64)own_gid : chance(40) ? (u64)-1 : rnd();
    int which = (int)below(4);
    if (which == 0) C(SYS_chown, gen_path(K_MUT, &p1), uid, gid);
    else if (which == 1) C(SYS_lchown, gen_path(K_MUT, &p1), uid, gid);
    else if (which == 2) C(SYS_fchown, fdarg(mut_fd()), uid, gid);
    else {
      path = gen_path(K_MUT, &p1);
      C(SYS_fchownat, fdarg(mut_dirfd(&p1)), path, uid, gid, chance(50) ? PICK(((u64[]){0, 0x100, 0x1000})) : rand_flags());
    }
    break;
  }
  case 43: case 44: case 45: case 46: { /* setxattr family, removexattr family */
    static const char *names[] = {"user.a", "user.fuzz", "trusted.a", "security.a", "security.capability",
                                  "system.posix_acl_access", "system.posix_acl_default", "", "noprefix",
                                  "user."};
    char longname[300];
    u64 name;
    if (chance(10)) {
      memcpy(longname, "user.", 5);
      size_t n = chance(50) ? 255 : 256;
      memset(longname + 5, 'x', n - 5);
      longname[n] = 0;
      name = place(longname, n + 1);
    } else if (chance(10)) {
      name = bad_ptr();
    } else {
      const char *nm = PICK(names);
      notef("xattr:%s ", nm);
      name = place(nm, strlen(nm) + 1);
    }
    u64 value = chance(10) ? bad_ptr() : chance(10) ? (u64)scr_end - below(100) - 1 : (u64)(scr + below(PAYLOAD - 65537));
    u64 size = chance(50) ? below(200) : gen_len();
    u64 flags = chance(70) ? below(4) : rnd();
    int which = (int)below(6);
    if (which == 0) C(SYS_setxattr, gen_path(K_MUT, &p1), name, value, size, flags);
    else if (which == 1) C(SYS_lsetxattr, gen_path(K_MUT, &p1), name, value, size, flags);
    else if (which == 2) C(SYS_fsetxattr, fdarg(mut_fd()), name, value, size, flags);
    else if (which == 3) C(SYS_removexattr, gen_path(K_MUT, &p1), name);
    else if (which == 4) C(SYS_lremovexattr, gen_path(K_MUT, &p1), name);
    else C(SYS_fremovexattr, fdarg(mut_fd()), name);
    break;
  }
  case 47: case 48: { /* utime, utimes, futimesat, utimensat */
    int64_t t[4];
    for (int i = 0; i < 4; i++) t[i] = chance(60) ? (int64_t)below(2000000000) : (int64_t)rnd();
    if (chance(30)) t[1] = PICK(((int64_t[]){(1 << 30) - 1, (1 << 30) - 2, 999999999, 1000000000, -1}));
    u64 times = chance(15) ? 0 : chance(10) ? bad_ptr() : place(t, sizeof t);
    int which = (int)below(4);
    if (which == 0) C(SYS_utime, gen_path(K_MUT, &p1), times);
    else if (which == 1) C(SYS_utimes, gen_path(K_MUT, &p1), times);
    else if (which == 2) {
      path = gen_path(K_MUT, &p1);
      C(SYS_futimesat, fdarg(mut_dirfd(&p1)), path, times);
    } else {
      path = chance(15) ? 0 : gen_path(K_MUT, &p1);
      if (path == 0) p1.named = 0;
      C(SYS_utimensat, fdarg(mut_dirfd(&p1)), path, times, chance(50) ? PICK(((u64[]){0, 0x100, 0x1000})) : rand_flags());
    }
    break;
  }
  case 49: case 50: { /* mknod, mknodat: at p1..p3 only */
    static const u64 types[] = {0, S_IFREG, S_IFIFO, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK, S_IFDIR, S_IFLNK, 0170000};
    u64 mode = PICK(types) | below(010000);
    if (chance(5)) mode = rnd();
    u64 dev = chance(50) ? 0 : chance(50) ? 0x103 /* 1:3 = /dev/null */ : rnd();
    if (below(2) == 0) C(SYS_mknod, gen_path(K_FIFO, &p1), mode, dev);
    else {
      path = gen_path(K_FIFO, &p1);
      C(SYS_mknodat, fdarg(mut_dirfd(&p1)), path, mode, dev);
    }
    break;
  }
  case 51: case 52: { /* bind, connect */
    u64 len;
    u64 addr = gen_addr(&len);
    C(below(2) ? SYS_bind : SYS_connect, fdarg(sock_fd()), addr, len);
    break;
  }
  case 53: case 54: { /* sendto */
    u64 len = chance(60) ? below(2000) : gen_len();
    u64 buf = chance(10) ? bad_ptr() : chance(10) ? (u64)scr_end - below(4096) - 1 : (u64)(scr + below(PAYLOAD - 65537));
    u64 alen = 0, addr = 0;
    if (chance(70)) addr = gen_addr(&alen);
    C(SYS_sendto, fdarg(sock_fd()), buf, len, send_flags(), addr, alen);
    break;
  }
  case 55: case 56: case 57: { /* sendmsg */
    struct kmsghdr m;
    gen_msghdr(&m);
    u64 msg = chance(8) ? bad_ptr() : place(&m, sizeof m);
    C(SYS_sendmsg, fdarg(sock_fd()), msg, send_flags());
    break;
  }
  case 58: case 59: { /* sendmmsg */
    static const u64 vlens[] = {0, 1, 2, 3, 16, 1024, 1025, 0xffffffffULL, 0x100000001ULL, 0x100000000ULL};
    u64 vlen = PICK(vlens);
    size_t n = vlen > 1030 ? 1030 : (size_t)vlen;
    if (n == 0) n = 1;
    unsigned char *vec = alloc(n * 64);
    notef("vlen=%llu ", (unsigned long long)vlen);
    struct kmsghdr m;
    gen_msghdr(&m);
    for (size_t i = 0; i < n; i++) {
      if (i > 0 && i < 8 && chance(50)) gen_msghdr(&m);
      memcpy(vec + i * 64, &m, 56);
      memset(vec + i * 64 + 56, 0xa5, 8); /* msg_len: written back */
    }
    u64 ptr;
    if (chance(8)) ptr = bad_ptr();
    else if (chance(15) && !tail_used) { /* the vector runs into PROT_NONE */
      size_t k = 1 + below(n * 64 < TAIL ? n * 64 : TAIL);
      tail_used = 1;
      memcpy(scr_end - k, vec, k);
      ptr = (u64)(scr_end - k);
      notef("vec@straddle%zu ", k);
    } else ptr = (u64)vec;
    rc = C(SYS_sendmmsg, fdarg(sock_fd()), ptr, vlen, send_flags());
    u64 cap = (uint32_t)vlen < 1024 ? (uint32_t)vlen : 1024;
    if (rc > 0 && (u64)rc > cap) anomaly("sendmmsg-sent-more-than-vlen", rc);
    break;
  }
  case 60: { /* socket of random families; always non-blocking */
    static const int fams[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, 38, 40, 0, 45, 0xffff};
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_RDM, 0, 10};
    static const int protos[] = {0, 0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 255, -1};
    u64 fam = chance(85) ? (u64)PICK(fams) : rnd();
    u64 type = (chance(90) ? (u64)PICK(types) : rnd()) | SOCK_NONBLOCK | (chance(50) ? SOCK_CLOEXEC : 0);
    u64 proto = chance(85) ? (u64)(int64_t)PICK(protos) : rnd();
    rc = C(SYS_socket, fam, type, proto);
    took_fd(rc, 0);
    break;
  }
  case 61: { /* ioctl on the helper's own fds; never FIONBIO (would make a socket blocking) */
    static const u64 reqs[] = {0x541B /* FIONREAD */, 0x5451 /* FIOCLEX */, 0x5450 /* FIONCLEX */,
                               0x8906 /* SIOCGSTAMP */, 0x5411 /* TIOCOUTQ */, 0x5413 /* TIOCGWINSZ */,
                               0x5401 /* TCGETS */, 0x80086601 /* FS_IOC_GETFLAGS */,
                               0x80087601 /* FS_IOC_GETVERSION */, 2 /* FIGETBSZ */, 0x5460 /* FIOQSIZE */,
                               0xc020660b /* FS_IOC_FIEMAP */, 0x5412 /* TIOCSTI */, 0x541C /* TIOCLINUX */,
                               0x541D /* TIOCCONS */, 0x5423 /* TIOCSETD */, 0x8912 /* SIOCGIFCONF */,
                               0x8933 /* SIOCGIFINDEX */, 0xc018aa3f, 0};
    u64 req = chance(70) ? PICK(reqs) : chance(50) ? (rnd() & 0xffffffffULL) : rnd();
    if (chance(10)) req |= rnd() << 32;
    uint32_t r32 = (uint32_t)req;
    if (r32 == 0x5421 /* FIONBIO */ || r32 == 0x5452 /* FIOASYNC */ || r32 == 0x8901 /* FIOSETOWN */ ||
        r32 == 0x8902 /* SIOCSPGRP */)
      req = 0x541B;
    static const int own[] = {FD_DGRAM_A, FD_STREAM_A, FD_UDP, FD_UNIX_SRV, FD_TCP_LISTEN, FD_FILE1,
                              FD_FILE2, FD_SUB, FD_DIR, 3, 4, 5, 6, 7, 8, 9, 10, 20, -1, INT_MAX};
    u64 arg = chance(40) ? bad_ptr() : chance(20) ? rnd() : out_buf(4096);
    if (arg != 0 && arg >= (u64)scr && arg < (u64)scr_end) memset((void *)arg, 0, (u64)scr_end - arg < 64 ? (u64)scr_end - arg : 64);
    C(SYS_ioctl, fdarg(PICK(own)), req, arg);
    break;
  }
  case 62: { /* rt_sigaction: a readable act only for signals never delivered to the helper */
    static const int sigs[] = {SIGUSR1, SIGUSR2, 34, 40, 50, 64, 0, 65, -1, SIGKILL, SIGSTOP, SIGPIPE,
                               SIGALRM, SIGSEGV, SIGCHLD, SIGINT};
    u64 sig = chance(85) ? (u64)(int64_t)PICK(sigs) : rnd();
    int s32 = (int)(uint32_t)sig; /* the kernel reads an int */
    int quiet = s32 == SIGUSR1 || s32 == SIGUSR2 || (s32 >= 34 && s32 <= 64) || s32 <= 0 || s32 > 64 ||
                s32 == SIGKILL || s32 == SIGSTOP;
    u64 act[4] = {chance(30) ? 0 : chance(30) ? 1 : rnd(), chance(50) ? 0x10000000 /* SA_RESTART */ | rnd() % 8 : rnd(),
                  rnd(), rnd()};
    u64 act_ptr;
    if (quiet) act_ptr = chance(20) ? 0 : chance(20) ? bad_ptr() : place(act, sizeof act);
    else if (chance(60)) {
      act_ptr = bad_ptr();
      if (act_ptr == 0) act_ptr = (u64)-1;
    } else if (!tail_used) { /* straddles: the kernel cannot read it whole, so it changes nothing */
      act_ptr = place_mode(act, sizeof act, 2);
    } else act_ptr = 0;
    u64 oact = chance(30) ? 0 : chance(20) ? bad_ptr() : out_buf(32);
    C(SYS_rt_sigaction, sig, act_ptr, oact, chance(85) ? 8 : gen_len());
    break;
  }
  case 63: case 64: { /* recvmsg, recvmmsg: never blocking; fds received closed after */
    struct kmsghdr m;
    gen_msghdr(&m);
    u64 flags = send_flags() & ~(u64)MSG_WAITALL;
    if (chance(30)) flags |= MSG_CMSG_CLOEXEC;
    if (below(2) == 0) {
      u64 msg = chance(8) ? bad_ptr() : place(&m, sizeof m);
      C(SYS_recvmsg, fdarg(sock_fd()), msg, flags);
    } else {
      static const u64 vlens[] = {0, 1, 2, 3, 1025, 0x100000001ULL};
      u64 vlen = PICK(vlens);
      unsigned char *vec = alloc(4 * 64);
      for (size_t i = 0; i < 4; i++) {
        if (i > 0 && chance(50)) gen_msghdr(&m);
        memcpy(vec + i * 64, &m, 56);
        memset(vec + i * 64 + 56, 0xa5, 8);
      }
      u64 ptr = chance(8) ? bad_ptr() : (u64)vec;
      u64 ts[2] = {chance(50) ? 0 : rnd() % 3, chance(80) ? rnd() % 1000000000ULL : rnd()};
      u64 timeout = chance(50) ? 0 : chance(20) ? bad_ptr() : place(ts, sizeof ts);
      if (vlen > 4 && ptr == (u64)vec) flags |= 0x10000; /* MSG_WAITFORONE: stops at the first EAGAIN */
      rc = C(SYS_recvmmsg, fdarg(sock_fd()), ptr, vlen, flags, timeout);
      u64 cap = (uint32_t)vlen < 1024 ? (uint32_t)vlen : 1024;
      if (rc > 0 && (u64)rc > cap) anomaly("recvmmsg-received-more-than-vlen", rc);
    }
    for (int extra = 41; extra < 100; extra++) close(extra); /* fds a message carried */
    break;
  }
  default: C(SYS_chroot, gen_path(K_READ, &p1)); break;
  }
}

/* ---- set-up and upkeep ---- */

static int put_fd(int fd, int at) {
  if (fd < 0) return -1;
  if (fd != at) {
    if (dup2(fd, at) < 0) return -1;
    close(fd);
  }
  return at;
}

static unsigned short port_of(int fd) {
  struct sockaddr_in6 sa;
  socklen_t len = sizeof sa;
  if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0) return 0;
  return ntohs(sa.sin6_port); /* same offset in sockaddr_in */
}

static void setup(void) {
  own_uid = (int)getuid();
  own_gid = (int)getgid();
  own_pid = (int)getpid();
  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN);
  close(0); /* the test's /dev/null: fds 0..20 are all the helper's own from here on */

  long page = sysconf(_SC_PAGESIZE);
  unsigned char *base = mmap(NULL, SCR_SIZE + 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) exit(3);
  if (mprotect(base, (size_t)page, PROT_NONE) || mprotect(base + page + SCR_SIZE, (size_t)page, PROT_NONE)) exit(3);
  scr = base + page;
  scr_end = scr + SCR_SIZE;
  for (size_t i = 0; i < PAYLOAD; i += 8) {
    u64 v = rnd();
    memcpy(scr + i, &v, 8);
  }
  unsigned char *h = mmap(NULL, 3 * (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (h == MAP_FAILED || munmap(h + page, (size_t)page)) exit(3);
  hole = h + page;

  const char *abs_rel[] = {"a", "d/e", "sub/z", "", "Xnoexec", "srv"};
  for (size_t i = 0; i < COUNT(abs_rel); i++)
    snprintf(abs_names[i], sizeof abs_names[i], "%s%s%s", dir, abs_rel[i][0] ? "/" : "", abs_rel[i]);
  abs_count = (int)COUNT(abs_rel);

  if (put_fd(open("fuzz.log", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), FD_LOG) < 0) {
    report("setup-log", -1);
    exit(1);
  }
  if (put_fd(open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), FD_DIR) < 0 || mkdir("sub", 0755) < 0 ||
      put_fd(open("sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC), FD_SUB) < 0 ||
      put_fd(open("f1", O_RDWR | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644), FD_FILE1) < 0 ||
      put_fd(open("f2", O_RDWR | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644), FD_FILE2) < 0) {
    report("setup-files", -1);
    exit(1);
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0 || put_fd(sv[0], FD_DGRAM_A) < 0 ||
      put_fd(sv[1], FD_DGRAM_B) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0 ||
      put_fd(sv[0], FD_STREAM_A) < 0 || put_fd(sv[1], FD_STREAM_B) < 0) {
    report("setup-pairs", -1);
    exit(1);
  }
  struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (udp < 0 || bind(udp, (struct sockaddr *)&in, sizeof in) < 0 || put_fd(udp, FD_UDP) < 0) {
    report("setup-udp", -1);
    exit(1);
  }
  udp_port = port_of(FD_UDP);
  if (put_fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), FD_UDP_FREE) < 0) exit(1);
  struct sockaddr_un un = {.sun_family = AF_UNIX};
  snprintf(un.sun_path, sizeof un.sun_path, "srv");
  int srv = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (srv < 0 || bind(srv, (struct sockaddr *)&un, sizeof un) < 0 || put_fd(srv, FD_UNIX_SRV) < 0) {
    report("setup-unix", -1);
    exit(1);
  }
  int tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (tcp < 0 || bind(tcp, (struct sockaddr *)&in, sizeof in) < 0 || listen(tcp, 16) < 0 || put_fd(tcp, FD_TCP_LISTEN) < 0) {
    report("setup-tcp", -1);
    exit(1);
  }
  tcp_port = port_of(FD_TCP_LISTEN);
  struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  int udp6 = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (udp6 >= 0 && bind(udp6, (struct sockaddr *)&in6, sizeof in6) == 0) {
    put_fd(udp6, FD_UDP6);
    udp6_port = port_of(FD_UDP6);
  } else if (udp6 >= 0) {
    put_fd(udp6, FD_UDP6); /* unbound: still a socket */
  }
  printf("setup udp=%u tcp=%u udp6=%u\n", udp_port, tcp_port, udp6_port);
}

/* Every 256 calls: close what the calls opened, drain the receivers (fds in flight are closed
 * with the messages), give DIR its mode back, rewind the directory fds. */
static void upkeep(void) {
  for (int fd = 0; fd < 100; fd++)
    if (fd != 1 && fd != 2) close(fd);
  static char buf[70000];
  static const int receivers[] = {FD_DGRAM_A, FD_DGRAM_B, FD_STREAM_A, FD_STREAM_B, FD_UDP, FD_UDP_FREE, FD_UNIX_SRV, FD_UDP6};
  for (size_t i = 0; i < COUNT(receivers); i++)
    for (int n = 0; n < 4096 && recv(receivers[i], buf, sizeof buf, MSG_DONTWAIT) >= 0; n++) {}
  for (int n = 0; n < 64; n++) {
    int c = accept4(FD_TCP_LISTEN, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) break;
    close(c);
  }
  lseek(FD_DIR, 0, SEEK_SET);
  lseek(FD_SUB, 0, SEEK_SET);
  if (chmod(dir, 0755) < 0) {}
  back_home();
}

static int cmp_desc(const void *a, const void *b) {
  const unsigned *x = a, *y = b;
  return (y[0] > x[0]) - (y[0] < x[0]);
}

int main(int argc, char **argv) {
  require_sandbox("fuzz_calls");
  check_args(argc == 4, "fuzz_calls DIR SEED SECONDS");
  dir = argv[1];
  u64 seed = strtoull(argv[2], NULL, 10);
  int seconds = atoi(argv[3]);
  check_args(dir[0] == '/' && seconds > 0 && seconds < 3600, "fuzz_calls /ABSOLUTE/DIR SEED SECONDS");
  rng = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
  if (rng == 0) rng = 1;
  alarm((unsigned)seconds + 10);
  if (chdir(dir) != 0) {
    report("chdir", -1);
    return 1;
  }
  printf("start seed=%llu seconds=%d\n", (unsigned long long)seed, seconds);
  setup();
  double end = now() + seconds;
  while (1) {
    if ((calls & 63) == 0 && now() >= end) break;
    unsigned long before = calls;
    bump = PAYLOAD;
    tail_used = 0;
    note_len = 0;
    note[0] = 0;
    fuzz_one();
    if (calls / 256 != before / 256) upkeep();
    if (calls / 1000 != before / 1000) printf("progress calls=%lu\n", calls);
  }
  upkeep();
  printf("calls=%lu\nanomalies=%lu\n", calls, anomalies);
  for (int nr = 0; nr < 512; nr++) {
    if (!st_calls[nr]) continue;
    unsigned top[134][2];
    for (int e = 0; e < 134; e++) {
      top[e][0] = st_err[nr][e];
      top[e][1] = (unsigned)e;
    }
    qsort(top, 134, sizeof top[0], cmp_desc);
    printf("stat %s calls=%lu ok=%lu top=", call_name(nr), st_calls[nr], st_ok[nr]);
    for (int i = 0; i < 4 && top[i][0]; i++) printf("%s%s:%u", i ? "," : "", errno_name((int)top[i][1]), top[i][0]);
    printf("\n");
  }
  served(dir);
  return 0;
}
