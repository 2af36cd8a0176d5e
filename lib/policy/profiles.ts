/**
 * Built-in profiles, as data compiled into the program: each is a `.syd-3` text with a one-line
 * description (`syd lint --profiles`). `${VAR}` is expanded as in files; syd sets `SYD_UID` and
 * `SYD_GID` for them.
 *
 * @module
 */

/** A built-in profile. */
export interface Profile {
  /** One line for `syd lint --profiles`. */
  doc: string;
  /** Its commands, as a `.syd-3` file. */
  text: string;
}

const OFF = `# Every category off: syd runs the program without judging anything.
sandbox/all:off
`;

const USER =
  `# For login shells and everyday programs: read the system, write home and temporary files.
sandbox/all:on
default/all:deny
# Walk and read the whole system; hide nothing but what is denied below.
allow/stat,read,readdir,chdir+/***
allow/exec+/usr/***
allow/exec+/bin/***
allow/exec+/sbin/***
allow/exec+/lib/***
allow/exec+/lib64/***
allow/exec+/opt/***
deny/read,readdir+/etc/shadow
deny/read,readdir+/etc/gshadow
# Write where a user writes.
allow/write,create,delete,rename,symlink,truncate,mkdir,rmdir,chmod,chattr,utime,mkfifo,mktemp+\${HOME}/***
allow/write,create,delete,rename,symlink,truncate,mkdir,rmdir,chmod,chattr,utime,mkfifo,mktemp+/tmp/***
allow/write,create,delete,rename,symlink,truncate,mkdir,rmdir,chmod,chattr,utime,mkfifo,mktemp+/var/tmp/***
allow/write,create,delete,rename,symlink,truncate,mkdir,rmdir,chmod,chattr,utime,mkfifo,mktemp+/run/user/\${SYD_UID}/***
allow/write,truncate+/dev/null
allow/write,truncate+/dev/zero
allow/write,truncate+/dev/full
allow/write,truncate+/dev/tty
allow/write,truncate+/dev/pts/***
allow/write,truncate+/dev/ptmx
allow/write,truncate+/proc/self/fd/***
allow/write,truncate+/proc/thread-self/fd/***
# The network: loopback, and UNIX sockets in the writable places.
allow/net/bind+loopback!0
allow/net/bind+loopback!1024-65535
allow/net/connect+loopback!0-65535
allow/net/connect+/run/***
allow/net/connect+/var/run/***
allow/net/connect+/tmp/***
allow/net/bind+/tmp/***
allow/net/bind+\${HOME}/***
allow/net/connect+\${HOME}/***
allow/net/sendfd+/tmp/***
allow/net/sendfd+/run/user/\${SYD_UID}/***
`;

const PALUDIS =
  `# For package builds (Paludis): read everything, write build and temporary places, loopback.
sandbox/all:on
default/all:deny
allow/stat,read,readdir,chdir,exec+/***
allow/write,create,delete,rename,symlink,truncate,mkdir,rmdir,chown,chgrp,chmod,chattr,utime,mkfifo,mktemp+/tmp/***
allow/write,create,delete,rename,symlink,truncate,mkdir,rmdir,chown,chgrp,chmod,chattr,utime,mkfifo,mktemp+/var/tmp/***
allow/write,create,delete,rename,symlink,truncate,mkdir,rmdir,chown,chgrp,chmod,chattr,utime,mkfifo,mktemp+/var/cache/***
allow/write,truncate+/dev/null
allow/write,truncate+/dev/zero
allow/write,truncate+/dev/full
allow/write,truncate+/dev/tty
allow/write,truncate+/dev/pts/***
allow/write,truncate+/dev/ptmx
allow/write,truncate+/dev/shm/***
allow/write,truncate+/proc/self/fd/***
allow/write,truncate+/proc/thread-self/fd/***
allow/write,truncate+/selinux/context/***
allow/net/bind+loopback!0
allow/net/bind+loopback!1024-65535
allow/net/connect+loopback!0-65535
allow/net/connect+/run/nscd/socket
allow/net/connect+/var/run/nscd/socket
allow/net/sendfd+/tmp/***
lock:exec
`;

/** The built-in profiles by name. */
export const PROFILES: Readonly<Record<string, Profile>> = {
  off: { doc: "every category off: nothing is judged", text: OFF },
  lib: {
    doc: "every category off and the lock open, for programs that configure syd themselves",
    text: "include_profile off\nlock:off\n",
  },
  user: {
    doc: "everyday use: read the system, write $HOME, /tmp and ttys, loopback network",
    text: USER,
  },
  paludis: {
    doc: "package builds: read everything, write build and temporary places, loopback",
    text: PALUDIS,
  },
  trace: {
    doc: "every category on with action warn: log every access and allow it (what -x uses)",
    text: "sandbox/all:on\ndefault/all:warn\n",
  },
  silent: {
    doc: "deny without logging: every deny becomes filter",
    text: "default/all:filter\n",
  },
  quiet: { doc: "the same as silent", text: "include_profile silent\n" },
  noipv4: {
    doc: "no IPv4: deny every IPv4 bind and connect",
    text: "sandbox/net:on\ndeny/net/bind,net/connect+any4!0-65535\n",
  },
  noipv6: {
    doc: "no IPv6: deny every IPv6 bind and connect",
    text: "sandbox/net:on\ndeny/net/bind,net/connect+any6!0-65535\n",
  },
};
