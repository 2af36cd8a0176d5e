/**
 * The one place syd crosses into libsyd.so (Zig): the symbol table, how the library is found,
 * and thin wrappers that turn C results into TypeScript values and errors.
 *
 * The library is found, in order: `SYD_LIBSYD` (a path), `zig-out/lib/libsyd.so` next to the
 * sources (`deno run`), or the copy embedded in a compiled binary, unpacked to a memfd and
 * opened as `/proc/self/fd/N`.
 *
 * @module
 */

/** The ABI version this file is written for; libsyd.so must report the same. */
export const ABI_VERSION = 4;

/** Every libsyd.so export, with its C signature. Nothing else calls FFI. */
export const symbols = {
  /** uint32_t syd_abi_version(void) */
  syd_abi_version: { parameters: [], result: "u32" },
  /** int32_t syd_probe(struct Features *out) */
  syd_probe: { parameters: ["buffer"], result: "i32" },
  /** int32_t syd_sandbox_new(const uint8_t *policy_json, size_t len, uint64_t *out_handle) */
  syd_sandbox_new: { parameters: ["buffer", "usize", "buffer"], result: "i32" },
  /** int32_t syd_sandbox_log_fd(uint64_t handle) */
  syd_sandbox_log_fd: { parameters: ["u64"], result: "i32" },
  /** int32_t syd_sandbox_log_fd_close(uint64_t handle) */
  syd_sandbox_log_fd_close: { parameters: ["u64"], result: "i32" },
  /** int32_t syd_sandbox_log_ack(uint64_t handle, uint32_t seq) */
  syd_sandbox_log_ack: { parameters: ["u64", "u32"], result: "i32" },
  /**
   * int32_t syd_sandbox_export(uint64_t handle, uint32_t format, int32_t out_fd,
   * const char *dir, size_t dir_len)
   */
  syd_sandbox_export: {
    parameters: ["u64", "u32", "i32", "buffer", "usize"],
    result: "i32",
  },
  /** int32_t syd_sandbox_cmd_fd(uint64_t handle) */
  syd_sandbox_cmd_fd: { parameters: ["u64"], result: "i32" },
  /** int32_t syd_sandbox_cmd_fd_close(uint64_t handle) */
  syd_sandbox_cmd_fd_close: { parameters: ["u64"], result: "i32" },
  /**
   * int32_t syd_sandbox_cmd_reply(uint64_t handle, uint64_t id, int32_t errnum,
   * const uint8_t *policy_json, size_t len)
   */
  syd_sandbox_cmd_reply: {
    parameters: ["u64", "u64", "i32", "buffer", "usize"],
    result: "i32",
  },
  /**
   * int32_t syd_run(uint64_t handle, const char *const *argv, const char *const *envp,
   * struct RunResult *out, const char *file)
   */
  syd_run: {
    parameters: ["u64", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  /** int32_t syd_sandbox_signal(uint64_t handle, int32_t sig) */
  syd_sandbox_signal: { parameters: ["u64", "i32"], result: "i32" },
  /** void syd_sandbox_free(uint64_t handle) */
  syd_sandbox_free: { parameters: ["u64"], result: "void" },
  /** size_t syd_last_error(char *buf, size_t len) */
  syd_last_error: { parameters: ["buffer", "usize"], result: "usize" },
  /** size_t syd_strerror(int32_t errnum, char *buf, size_t len) */
  syd_strerror: { parameters: ["i32", "buffer", "usize"], result: "usize" },
  /** int32_t syd_hash_file(const uint8_t *alg, size_t alg_len, const char *path, uint8_t *out, size_t out_len) */
  // Optional: an older build (BENCH_BASELINE) loads without it; `syd sum` needs it.
  syd_hash_file: {
    parameters: ["buffer", "usize", "buffer", "buffer", "usize"],
    result: "i32",
    optional: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The C library calls needed to unpack an embedded libsyd.so before it is loaded. */
const libcSymbols = {
  /** int memfd_create(const char *name, unsigned int flags) */
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  /** int close(int fd) */
  close: { parameters: ["i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

type Lib = Deno.DynamicLibrary<typeof symbols>;

/** An error from libsyd.so: a negative errno and its message. */
export class NativeError extends Error {
  /** The errno value (positive). */
  readonly errno: number;
  constructor(errno: number, message: string) {
    super(message);
    this.name = "NativeError";
    this.errno = errno;
  }
}

let lib: Lib | undefined;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const LIBRARY_URL = new URL("../zig-out/lib/libsyd.so", import.meta.url);

function checkAbi(opened: Lib): Lib {
  const version = opened.symbols.syd_abi_version();
  if (version !== ABI_VERSION) {
    opened.close();
    throw new Error(
      `libsyd.so speaks ABI ${version}, this syd expects ${ABI_VERSION}: rebuild it (zig build)`,
    );
  }
  return opened;
}

/**
 * Loads libsyd.so from bytes through a memfd, as a compiled binary does with its embedded copy.
 *
 * @example
 * ```ts
 * const lib = openFromBytes(await Deno.readFile("zig-out/lib/libsyd.so"));
 * ```
 */
export function openFromBytes(bytes: Uint8Array): Lib {
  const libc = Deno.dlopen("libc.so.6", libcSymbols);
  try {
    const MFD_CLOEXEC = 1;
    const fd = libc.symbols.memfd_create(encoder.encode("libsyd.so\0"), MFD_CLOEXEC);
    if (fd < 0) throw new Error("memfd_create failed: cannot unpack the embedded libsyd.so");
    try {
      Deno.writeFileSync(`/proc/self/fd/${fd}`, bytes);
      return checkAbi(Deno.dlopen(`/proc/self/fd/${fd}`, symbols));
    } finally {
      libc.symbols.close(fd); // the mapping keeps the memfd alive
    }
  } finally {
    libc.close();
  }
}

function open(): Lib {
  const override = Deno.env.get("SYD_LIBSYD");
  if (override) return checkAbi(Deno.dlopen(override, symbols));
  const path = decodeURIComponent(LIBRARY_URL.pathname);
  let onDisk: Error | undefined;
  try {
    return checkAbi(Deno.dlopen(path, symbols));
  } catch (err) {
    onDisk = err as Error;
  }
  // In a compiled binary the file lives in the embedded file system only.
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(LIBRARY_URL);
  } catch {
    throw new Error(`cannot load libsyd.so (${onDisk.message}); build it with: zig build`);
  }
  return openFromBytes(bytes);
}

/** The loaded library (loaded on first use). */
export function library(): Lib {
  lib ??= open();
  return lib;
}

function lastError(errno: number): NativeError {
  const buf = new Uint8Array(512);
  const len = Number(library().symbols.syd_last_error(buf, BigInt(buf.length)));
  const message = decoder.decode(buf.subarray(0, len)) || strerror(errno);
  return new NativeError(errno, message);
}

/** The C library's text for an errno value ("No such file or directory"). */
export function strerror(errno: number): string {
  const buf = new Uint8Array(256);
  const len = Number(library().symbols.syd_strerror(errno, buf, BigInt(buf.length)));
  return decoder.decode(buf.subarray(0, len));
}

/** What the kernel and libseccomp offer, as `syd -V` reports it. */
export interface Features {
  abiVersion: number;
  userNotif: boolean;
  notifSizesOk: boolean;
  addfd: boolean;
  syncWakeUp: boolean;
  libseccomp: string;
  /** The kernel's Landlock ABI version (0: none), which Lock sandboxing uses. */
  landlockAbi: number;
}

/**
 * The digest of the file at `path` (a regular file or a FIFO) by Force sandboxing's algorithm
 * `alg` (lib/policy/force.ts `FORCE_ALGORITHMS`), hashed by libsyd (ffi/exec/force.zig).
 * Throws the errno (EINVAL: an unknown algorithm; EBADFD: another kind of file).
 */
export function hashFile(alg: string, path: string): Uint8Array {
  const encoder = new TextEncoder();
  const name = encoder.encode(alg);
  const out = new Uint8Array(64);
  const hash = library().symbols.syd_hash_file;
  if (hash === null) throw new Deno.errors.NotSupported("this libsyd.so has no syd_hash_file");
  const rc = hash(
    name,
    BigInt(name.length),
    encoder.encode(`${path}\0`),
    out,
    BigInt(out.length),
  );
  if (rc < 0) throw new Deno.errors.InvalidData(`${path}: ${strerror(-rc)}`, { cause: -rc });
  return out.subarray(0, rc);
}

/** Probes the kernel (forks a short-lived child that loads a trivial filter). */
export function probe(): Features {
  const buf = new Uint8Array(24); // struct Features
  const rc = library().symbols.syd_probe(buf);
  if (rc < 0) throw lastError(-rc);
  const view = new DataView(buf.buffer);
  return {
    abiVersion: view.getUint32(0, true),
    userNotif: buf[4] === 1,
    notifSizesOk: buf[5] === 1,
    addfd: buf[6] === 1,
    syncWakeUp: buf[7] === 1,
    libseccomp: `${view.getUint32(8, true)}.${view.getUint32(12, true)}.${
      view.getUint32(16, true)
    }`,
    landlockAbi: view.getUint32(20, true),
  };
}

/** How a supervised run ended (struct RunResult). */
export interface RunResult {
  /** The raw wait status. */
  waitStatus: number;
  /** The status a shell shows: the exit code, or 128+N for signal N. */
  exitCode: number;
  /** Non-zero when the command could not be executed: its errno. */
  execErrno: number;
  /** The most emulator threads alive at once. */
  workersPeak: number;
  /** How many trapped calls the emulators answered. */
  notifications: bigint;
  /** Log lines dropped because the log pipe was full. */
  logDropped: bigint;
}

/** `text` as a NUL-terminated C string (an argument with a NUL byte is refused). */
function cString(text: string): Uint8Array {
  if (text.includes("\0")) throw new NativeError(22, "an argument contains a NUL byte");
  return encoder.encode(text + "\0");
}

/** A NUL-terminated C string array, with the buffers it points to kept alive. */
function cStringArray(items: readonly string[]): { array: BigUint64Array; keep: Uint8Array[] } {
  const keep = items.map(cString);
  const array = new BigUint64Array(keep.length + 1);
  keep.forEach((buf, i) => {
    array[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
  });
  array[keep.length] = 0n;
  return { array, keep };
}

/** One sandbox in libsyd.so: a compiled policy and its log pipe. */
export class Sandbox {
  #handle: bigint;

  private constructor(handle: bigint) {
    this.#handle = handle;
  }

  /**
   * Loads a compiled policy document (JSON).
   *
   * @example
   * ```ts
   * const sandbox = Sandbox.create(JSON.stringify(policy));
   * ```
   */
  static create(policyJson: string): Sandbox {
    const json = encoder.encode(policyJson);
    const out = new BigUint64Array(1);
    const rc = library().symbols.syd_sandbox_new(json, BigInt(json.length), out);
    if (rc < 0) throw lastError(-rc);
    return new Sandbox(out[0]);
  }

  /** The log pipe's read end; open `/proc/self/fd/N`, then call `closeLogFd()`. */
  logFd(): number {
    const rc = library().symbols.syd_sandbox_log_fd(this.#handle);
    if (rc < 0) throw lastError(-rc);
    return rc;
  }

  /** Closes libsyd's copy of the log pipe's read end. */
  closeLogFd(): void {
    const rc = library().symbols.syd_sandbox_log_fd_close(this.#handle);
    if (rc < 0) throw lastError(-rc);
  }

  /**
   * Tells libsyd that every access record up to `"sync":seq` was written out: the emulators
   * waiting to answer the calls those records are about resume.
   */
  ackLog(seq: number): void {
    const rc = library().symbols.syd_sandbox_log_ack(this.#handle, seq >>> 0);
    if (rc < 0) throw lastError(-rc);
  }

  /**
   * Exports every seccomp filter of this sandbox's policy: as pfc text to fd `outFd`, or as
   * raw BPF files `syd_*.bpf` created new in `dir` (their paths are written to `outFd`).
   */
  exportFilters(format: "pfc" | "bpf", outFd: number, dir: string): void {
    const path = encoder.encode(dir);
    const rc = library().symbols.syd_sandbox_export(
      this.#handle,
      format === "pfc" ? 0 : 1,
      outFd,
      path,
      BigInt(path.length),
    );
    if (rc < 0) throw lastError(-rc);
  }

  /**
   * The read end of /dev/syd's command pipe (one JSON line per command); open
   * `/proc/self/fd/N`, then call `closeCmdFd()`.
   */
  cmdFd(): number {
    const rc = library().symbols.syd_sandbox_cmd_fd(this.#handle);
    if (rc < 0) throw lastError(-rc);
    return rc;
  }

  /** Closes libsyd's copy of the command pipe's read end. */
  closeCmdFd(): void {
    const rc = library().symbols.syd_sandbox_cmd_fd_close(this.#handle);
    if (rc < 0) throw lastError(-rc);
  }

  /**
   * Answers /dev/syd command `id` with an errno (0: done) and, when the command changed the
   * policy, the new compiled policy document, which libsyd swaps in before the caller resumes.
   */
  reply(id: number, errno: number, policyJson?: string): void {
    const json = policyJson === undefined ? null : encoder.encode(policyJson);
    const rc = library().symbols.syd_sandbox_cmd_reply(
      this.#handle,
      BigInt(id),
      errno,
      json,
      BigInt(json?.length ?? 0),
    );
    if (rc < 0) throw lastError(-rc);
  }

  /**
   * Runs `argv` with environment `env` ("KEY=VALUE" strings) and waits for it to end. With
   * `alias`, the program is still `argv[0]` (found through PATH), but it sees `alias` as its
   * `argv[0]` (`syd -a ALIAS`).
   */
  async run(argv: readonly string[], env: readonly string[], alias?: string): Promise<RunResult> {
    if (argv.length === 0) throw new NativeError(22, "no command to run");
    const args = cStringArray(alias === undefined ? argv : [alias, ...argv.slice(1)]);
    const file = alias === undefined ? null : cString(argv[0]);
    const envp = cStringArray(env);
    const out = new Uint8Array(32); // struct RunResult
    const rc = await library().symbols.syd_run(this.#handle, args.array, envp.array, out, file);
    // args, envp, file and out stay referenced until here: the call above read them until it
    // settled.
    if (rc < 0) throw lastError(-rc);
    void args.keep, envp.keep, file;
    const view = new DataView(out.buffer);
    return {
      waitStatus: view.getUint32(0, true),
      exitCode: view.getInt32(4, true),
      execErrno: view.getInt32(8, true),
      workersPeak: view.getUint32(12, true),
      notifications: view.getBigUint64(16, true),
      logDropped: view.getBigUint64(24, true),
    };
  }

  /** Forwards a signal (SIGHUP, SIGINT, SIGQUIT or SIGTERM, by number) to the running child. */
  signal(sig: number): void {
    const rc = library().symbols.syd_sandbox_signal(this.#handle, sig);
    if (rc < 0) throw lastError(-rc);
  }

  /** Frees the sandbox; the log pipe's reader then sees end of file. */
  free(): void {
    library().symbols.syd_sandbox_free(this.#handle);
  }
}
