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
# (mem/max, mem/vm_max or pid/max set later still turn their layer on, as in the original.)
sandbox/all,fs,ioctl,lock,mem,pid,tpe:off
`;

const FS =
  `# Opens of every filesystem type but those that reach the kernel's or other processes' state.
sandbox/fs:on
allow/fs+all
deny/fs+aafs,bpf_fs,securityfs,selinux,smack
deny/fs+binfmt_misc,debugfs,pstorefs,tracefs
deny/fs+cgroup,cgroup2,nsfs,pid_fd,rdtgroup
deny/fs+configfs,devmem,efivarfs,hostfs,inodefs,openprom
deny/fs+daxfs,secretmem
deny/fs+bdevfs,binderfs,fusectl,usbdevfs,xenfs,zonefs
deny/fs+nfsd,rpc_pipefs
`;

const LINUX =
  `# The common ground of Linux programs: run and read the system, devices, /proc/self, temp dirs.
# Walk sandboxing (judging every directory a path passes through) is left off, as in the
# original's paludis profile: turn it on with sandbox/walk:on and allow/walk rules.
sandbox/walk:off
include_profile fs
allow/stat,list,readlink,chdir,readdir+/
allow/exec,read,stat,list,readlink,chdir,readdir+/bin/***
allow/exec,read,stat,list,readlink,chdir,readdir+/sbin/***
allow/exec,read,stat,list,readlink,chdir,readdir+/lib*/***
allow/exec,read,stat,list,readlink,chdir,readdir+/usr/***
allow/exec,read,stat,list,readlink,chdir,readdir+/opt/***
deny/exec,read,stat,list,readlink,chdir,readdir+/lib*/modules/***
allow/net/connect+/run/nscd/socket
allow/net/connect+/var/run/nscd/socket
allow/net/connect+/var/lib/sss/pipes/nss
allow/read,stat,list,readlink,chdir,readdir+/dev
allow/read,stat,list,readlink,chdir,readdir+/dev/fd
allow/read,stat,list,readlink,chdir,readdir,mktemp+/dev/shm/***
allow/write,create,delete,mkdir,rmdir,mkfifo,rename,symlink,truncate,chown,chgrp,chmod,chattr,utime+/dev/shm/**
allow/read,stat,list,readlink,write+/dev/full
allow/read,stat,list,readlink,write+/dev/zero
allow/read,stat,list,readlink,write,truncate+/dev/null
allow/read,stat,list,readlink,write,chdir,readdir+/dev/fd/**
allow/read,stat,list,readlink,write+/dev/stdin
allow/read,stat,list,readlink,write+/dev/stdout
allow/read,stat,list,readlink,write+/dev/stderr
allow/read,stat,list,readlink+/dev/random
allow/read,stat,list,readlink+/dev/urandom
allow/read,stat,list,readlink,chdir,readdir+/proc
allow/stat,list,readlink,chdir,readdir+/proc/self
allow/stat,list,readlink,chdir,readdir+/proc/thread-self
allow/read,stat,list,readlink+/proc/self/stat
allow/read,stat,list,readlink+/proc/self/task/[0-9]*/stat
allow/read,stat,list,readlink+/proc/self/statm
allow/read,stat,list,readlink+/proc/self/task/[0-9]*/statm
allow/read,stat,list,readlink+/proc/self/status
allow/read,stat,list,readlink+/proc/self/task/[0-9]*/status
allow/read,stat,list,readlink+/proc/self/comm
allow/read,stat,list,readlink+/proc/self/task/[0-9]*/comm
allow/read,stat,list,readlink+/proc/self/cmdline
allow/read,stat,list,readlink+/proc/self/task/[0-9]*/cmdline
allow/stat,list,readlink+/proc/self/exe
allow/stat,list,readlink+/proc/self/task/[0-9]*/exe
allow/stat,list,readlink,chdir,readdir+/proc/self/cwd
allow/stat,list,readlink,chdir,readdir+/proc/self/task/[0-9]*/cwd
allow/stat,list,readlink,chdir,readdir+/proc/self/root
allow/stat,list,readlink,chdir,readdir+/proc/self/task/[0-9]*/root
allow/stat,list,readlink,chdir,readdir+/proc/self/fd
allow/stat,list,readlink,chdir,readdir+/proc/self/task/[0-9]*/fd
allow/stat,list,readlink,chdir,readdir+/proc/self/fdinfo
allow/stat,list,readlink,chdir,readdir+/proc/self/task/[0-9]*/fdinfo
allow/stat,list,readlink,chdir,readdir+/proc/self/task
allow/stat,list,readlink,chdir,readdir+/proc/self/task/[0-9]*
allow/read,stat,list,readlink,write,truncate+/proc/self/fd/[0-9]*
allow/read,stat,list,readlink,write,truncate+/proc/self/task/[0-9]*/fd/[0-9]*
allow/read,stat,list,readlink,chdir,readdir+/proc/self/fdinfo/[0-9]*
allow/read,stat,list,readlink,chdir,readdir+/proc/self/task/[0-9]*/fdinfo/[0-9]*
allow/read,stat,list,readlink,chdir,readdir,mktemp+/tmp/***
allow/write,create,delete,mkdir,rmdir,mkfifo,rename,symlink,truncate,chown,chgrp,chmod,chattr,utime+/tmp/**
allow/read,stat,list,readlink,chdir,readdir,mktemp+/var/tmp/***
allow/write,create,delete,mkdir,rmdir,mkfifo,rename,symlink,truncate,chown,chgrp,chmod,chattr,utime+/var/tmp/**
# Unlike the original: O_TMPFILE (an unnamed file, judged as a write of the directory) in the
# temporary directories, and chown there (tar and cp -p as root restore owners).
allow/write+/tmp
allow/write+/var/tmp
allow/write+/dev/shm
allow/stat,list,readlink,chdir,readdir+/run
allow/stat,list,readlink,chdir,readdir+/run/systemd
allow/stat,list,readlink,chdir,readdir+/run/systemd/resolve
allow/read,stat,list,readlink+/run/systemd/resolve/*.conf
allow/stat,list,readlink,chdir,readdir+/var
allow/read,stat,list,readlink+/var/lib/sss/mc/passwd
allow/read,stat,list,readlink+/var/lib/sss/mc/group
allow/stat,list,readlink,chdir,readdir+/etc
allow/read,stat,list,readlink+/etc/DIR_COLORS
allow/read,stat,list,readlink+/etc/GREP_COLORS
allow/read,stat,list,readlink,chdir,readdir+/etc/alternatives/***
allow/read,stat,list,readlink,chdir,readdir+/etc/env.d/***
allow/read,stat,list,readlink,chdir,readdir+/etc/groff/***
allow/read,stat,list,readlink+/etc/ethertypes
allow/read,stat,list,readlink+/etc/gai.conf
allow/read,stat,list,readlink+/etc/issue
allow/read,stat,list,readlink+/etc/hostid
allow/read,stat,list,readlink+/var/adm/hostid
allow/read,stat,list,readlink+/etc/man_db.conf
allow/read,stat,list,readlink+/etc/manpath.config
allow/read,stat,list,readlink+/etc/nanorc
allow/read,stat,list,readlink+/etc/php*
allow/read,stat,list,readlink+/etc/php*/**/*.ini
allow/read,stat,list,readlink,chdir,readdir+/etc/skel/***
allow/read,stat,list,readlink,chdir,readdir+/etc/ssl/misc/***
allow/read,stat,list,readlink,chdir,readdir+/etc/zsh/***
# Unlike the original's linux profile: files everyday programs read on Debian (venv, resolver,
# vim, libselinux's probes behind ls, mkdir and find, getgroups' limit).
allow/read,stat,list,readlink+/etc/debian_version
allow/read,stat,list,readlink+/etc/host.conf
allow/read,stat,list,readlink+/etc/gitconfig
allow/read,stat,list,readlink,chdir,readdir+/etc/vim/***
allow/read,stat,list,readlink,chdir,readdir+/etc/python3*/***
allow/read,stat,list,readlink+/proc/filesystems
allow/read,stat,list,readlink+/sys/devices/system/cpu/online
allow/read,stat,list,readlink+/sys/devices/system/cpu/possible
allow/read,stat,list,readlink+/sys/devices/system/cpu/present
allow/read,stat,list,readlink+/proc/version
allow/stat,list,readlink,chdir,readdir+/proc/sys
allow/stat,list,readlink,chdir,readdir+/proc/sys/kernel
allow/read,stat,list,readlink+/proc/sys/kernel/ngroups_max
allow/read,stat,list,readlink+/proc/sys/kernel/osrelease
allow/read,stat,list,readlink+/etc/environment
allow/read,stat,list,readlink+/etc/group
allow/read,stat,list,readlink+/etc/hosts
allow/read,stat,list,readlink+/etc/inputrc
allow/read,stat,list,readlink+/etc/ld*
allow/read,stat,list,readlink,chdir,readdir+/etc/ld.so.conf.d/***
allow/read,stat,list,readlink+/etc/locale.alias
allow/read,stat,list,readlink+/etc/locale.conf
allow/read,stat,list,readlink+/etc/localtime
allow/read,stat,list,readlink+/etc/**/nsswitch.conf
allow/read,stat,list,readlink+/etc/passwd
allow/read,stat,list,readlink,chdir,readdir+/etc/profile*/***
deny/read,stat,list,readlink,chdir,readdir+/etc/profile*/*systemd*
allow/read,stat,list,readlink,chdir,readdir+/etc/bash*/***
allow/read,stat,list,readlink+/etc/protocols
allow/read,stat,list,readlink+/etc/resolv.conf
allow/read,stat,list,readlink+/etc/services
allow/read,stat,list,readlink+/etc/*-release
allow/read,stat,list,readlink,chdir,readdir+/etc/ca-certificates/***
allow/stat,list,readlink,chdir,readdir+/etc/ssl
allow/read,stat,list,readlink,chdir,readdir+/etc/ssl/certs/***
allow/read,stat,list,readlink+/etc/ssl/openssl.cnf
allow/read,stat,list,readlink,chdir,readdir+/etc/terminfo/***
allow/stat,list,readlink,chdir+/home
# Masks (the original's linux profile): what the rules allow of these reads as empty (files) or
# as /var/empty (directories; ENOENT where it does not exist, as in the original). Kernel memory
# and port devices, the kernel's global information and tunables in /proc and /sys, /boot;
# /proc/cmdline and boot_id are allowed, as the original's, to read as empty and as a fresh
# uuid; /dev/random reads /dev/urandom; the timezone is UTC (Etc/UTC: Debian's zoneinfo/UTC, the
# original's target, is a symlink, which a target may not be).
mask+/dev/mem
mask+/dev/kmem
mask+/dev/port
mask+/dev/ntsync
mask+/dev/cpu/[0-9]*/msr
mask+/dev/random:/dev/urandom
allow/read,stat,list,readlink+/proc/cmdline
mask+/proc/cmdline
mask+/proc/config.gz
mask+/proc/consoles
mask+/proc/crypto
mask+/proc/devices
mask+/proc/dma
mask+/proc/fb
mask+/proc/interrupts
mask+/proc/io*
mask+/proc/kallsyms
mask+/proc/kcore
mask+/proc/key*
mask+/proc/kpage*
mask+/proc/locks
mask+/proc/mdstat
mask+/proc/misc
mask+/proc/modules
mask+/proc/mtrr
mask+/proc/partitions
mask+/proc/swaps
mask+/proc/*info*/***:/dev/null:/var/empty
mask+/proc/*stat*/***:/dev/null:/var/empty
mask+/proc/*debug*/***:/dev/null:/var/empty
mask+/proc/*_stats/***:/dev/null:/var/empty
mask+/proc/latency_*/***:/dev/null:/var/empty
mask+/proc/timer_*/***:/dev/null:/var/empty
mask+/proc/sched*/***:/dev/null:/var/empty
mask+/proc/sys*/***:/dev/null:/var/empty
mask+/proc/acpi/***:/dev/null:/var/empty
mask+/proc/asound/***:/dev/null:/var/empty
mask+/proc/bus/***:/dev/null:/var/empty
mask+/proc/driver/***:/dev/null:/var/empty
mask+/proc/fs/***:/dev/null:/var/empty
mask+/proc/irq/***:/dev/null:/var/empty
mask+/proc/pressure/***:/dev/null:/var/empty
mask+/proc/scsi/***:/dev/null:/var/empty
mask+/proc/tty/***:/dev/null:/var/empty
mask+/proc/xen/***:/dev/null:/var/empty
allow/stat,list,readlink,chdir,readdir+/proc/sys/kernel/random
allow/read,stat,list,readlink+/proc/sys/kernel/random/*id
mask+/proc/sys/kernel/random/boot_id:/proc/sys/kernel/random/uuid
mask+/proc/sys/kernel/random/uuid:/proc/sys/kernel/random/uuid
mask+/sys/block/***:/dev/null:/var/empty
mask+/sys/bus/***:/dev/null:/var/empty
mask+/sys/class/***:/dev/null:/var/empty
mask+/sys/dev/***:/dev/null:/var/empty
mask+/sys/devices/***:/dev/null:/var/empty
mask+/sys/firmware/***:/dev/null:/var/empty
mask+/sys/fs/***:/dev/null:/var/empty
mask+/sys/hypervisor/***:/dev/null:/var/empty
mask+/sys/kernel/***:/dev/null:/var/empty
mask+/sys/module/***:/dev/null:/var/empty
mask+/sys/power/***:/dev/null:/var/empty
mask+/boot/***:/dev/null:/var/empty
mask+/etc/localtime:/usr/share/zoneinfo/Etc/UTC
mask+/usr/share/zoneinfo/**:/usr/share/zoneinfo/Etc/UTC:/var/empty
# Pathless fds of everyday programs (the original's linux profile): pipes, epoll, eventfd,
# signalfd, and unnamed UNIX sockets (socketpair, autobind).
allow/create+!pipe
allow/create+!eventpoll
allow/create+!eventfd
allow/create+!signalfd
allow/net/bind,net/connect+!unnamed
`;

const TTY = `# Terminals: the controlling tty and pseudo-terminals, and (the original's tty_native)
# the terminal ioctl requests, allowed whatever the fd (ioctl is judged by request only).
allow/ioctl+TCFLSH
allow/ioctl+TCSBRK
allow/ioctl+TCSBRKP
allow/ioctl+TCXONC
allow/ioctl+TC[GS]ET*
allow/ioctl+TIOCGPTN
allow/ioctl+TIOCGPTLCK
allow/ioctl+TIOCSPTLCK
allow/ioctl+TIOCGPTPEER
allow/ioctl+TIOCPKT
allow/ioctl+TIOCGPKT
allow/ioctl+TIOCSIG
allow/ioctl+TIOCGWINSZ
allow/ioctl+TIOCSWINSZ
allow/ioctl+TIOCSCTTY
allow/ioctl+TIOCNOTTY
allow/ioctl+TIOCGPGRP
allow/ioctl+TIOCGSID
allow/ioctl+TIOCGETD
allow/ioctl+TIOCEXCL
allow/ioctl+TIOCNXCL
allow/ioctl+TIOCGEXCL
allow/ioctl+TIOCINQ
allow/ioctl+TIOCOUTQ
allow/ioctl+TIOCSBRK
allow/ioctl+TIOCCBRK
allow/ioctl+TIOCMGET
allow/ioctl+TIOCMSET
allow/ioctl+TIOCMBIS
allow/ioctl+TIOCMBIC
allow/ioctl+TIOCMIWAIT
allow/ioctl+TIOCGDEV
allow/ioctl+TIOCGSOFTCAR
allow/ioctl+TIOCSSOFTCAR
allow/ioctl+TIOCGLCKTRMIOS
allow/read,stat,list,readlink,write+/dev/tty
allow/read,stat,list,readlink,write+/dev/ptmx
allow/read,stat,list,readlink,chdir,readdir+/dev/pts
allow/read,stat,list,readlink,write+/dev/pts/ptmx
allow/read,stat,list,readlink,write+/dev/pts/[0-9]*
# Landlock (when Lock sandboxing is on, as at first): the same terminals.
allow/lock/read,ioctl,write+/dev/tty
allow/lock/read,ioctl,write+/dev/ptmx
allow/lock/rpath,ioctl,write+/dev/pts
`;

const LANDLOCK =
  `# Lock sandboxing (Landlock, on at first): run and read the system, write temporary places.
# The kernel enforces it on the sandbox and on syd's threads that act for it: a second wall
# behind syd's own judging. /proc and /dev/null are always allowed.
sandbox/lock:on
allow/lock/rpath,exec+/etc
allow/lock/rpath,exec+/bin
allow/lock/rpath,exec+/sbin
allow/lock/rpath,exec+/lib
allow/lock/rpath,exec+/opt
allow/lock/rpath,exec+/usr
allow/lock/rpath+/proc
allow/lock/read,ioctl,wpath+/dev/null
allow/lock/read,ioctl,write+/dev/full
allow/lock/read,ioctl,write+/dev/zero
allow/lock/read,ioctl+/dev/random
allow/lock/read,ioctl+/dev/urandom
allow/lock/rpath,wpath,cpath,tpath+/dev/shm
allow/lock/rpath,wpath,cpath,tpath+/var/tmp
allow/lock/rpath,wpath,cpath,tpath+/tmp
`;

const USER =
  `# Everyday use: the linux and tty profiles, plus the user's home and runtime directory.
include_profile linux
include_profile tty
include_profile landlock
allow/lock/all+\${HOME}
allow/all+\${HOME}/**
allow/read,stat,list,readlink,chdir,readdir+\${HOME}/***
# Dot files and directories at the top of the home directory hold secrets and configuration.
# Unlike the original (\${HOME}/**/.*/***): those deeper in, a project's .git or .venv, are the
# user's own work, and git and python3 -m venv work there.
deny/all+\${HOME}/.*/***
allow/all+\${HOME}/.*history*
allow/all+/run/user/\${SYD_UID}/**
allow/read,stat,list,readlink,chdir,readdir+/run/user/\${SYD_UID}/***
allow/net/connect+loopback!0-65535
# As the original: TPE spares the user's own group, and a program must be the user's or root's.
tpe/negate:1
tpe/user_owned:1
tpe/gid:\${SYD_GID}
# Unlike the original's user profile: /proc/self/mounts, which libselinux reads behind ls, mkdir
# and find (the original's linux profile leaves it out as unsafe; its paludis profile allows it).
allow/read,stat,list,readlink+/proc/self/mounts
allow/read,stat,list,readlink+/proc/self/task/[0-9]*/mounts
# Unlike the original's user profile: inotify (tail -f, editors), timers and memfds, which
# everyday programs make, are allowed (a memfd is sealed against execution, as the original).
allow/create+!inotify
allow/create+!timerfd
allow/create+!memfd:**
`;

const PALUDIS =
  `# Package builds (Paludis): the linux and tty profiles, broad reads, build and temporary places.
include_profile linux
include_profile tty
sandbox/exec,ioctl:off
# As the original: TPE is unnecessary for package builds.
sandbox/tpe:off
# As the original: script interpreters are not held to AT_EXECVE_CHECK.
trace/allow_unsafe_exec_script:1
trace/allow_unsafe_exec_interactive:1
# As the original: package builds see the host's sysinfo(2).
trace/allow_unsafe_sysinfo:1
# As the original: builds run JITs (node, a JVM), which need memory that is writable then executable.
trace/allow_unsafe_exec_memory:1
allow/read,stat,list,readlink,chdir,readdir+/***
allow/write,create,delete,mkdir,rmdir,mkfifo,rename,symlink,truncate,chown,chgrp,chmod,chattr,utime,mktemp+/var/tmp/**
allow/write,create,delete,mkdir,rmdir,mkfifo,rename,symlink,truncate,chown,chgrp,chmod,chattr,utime,mktemp+/tmp/**
allow/write,create,delete,mkdir,rmdir,mkfifo,rename,symlink,truncate,chown,chgrp,chmod,chattr,utime+/var/cache/**
allow/write,truncate+/proc/self/attr/***
allow/write,truncate+/selinux/context/***
allow/net/bind+loopback!0
allow/net/bind+loopback!1024-65535
allow/net/connect+loopback!0-65535
allow/create+!memfd:**
allow/create+!memfd-hugetlb:**
allow/create+!secretmem
allow/create+!inotify
allow/create+!timerfd
allow/passfd+!all
# As the original: fd passing (sendfd, recvfd) is not judged unless SYD_PALUDIS_PASSFD turns it on.
sandbox/passfd:\${SYD_PALUDIS_PASSFD:-off}
# Landlock, as the original's: best effort, and what builds need beyond the landlock profile
# (which this one does not include: stack it, -p landlock, or turn Lock sandboxing off).
default/lock:warn
allow/lock/rpath+/dev
allow/lock/rpath+/run
allow/lock/rpath+/sys
allow/lock/rpath+/var
allow/lock/readdir+/
allow/lock/exec,ioctl,spath,bnet+/dev/shm
allow/lock/exec,ioctl,spath,bnet+/var/tmp
allow/lock/exec,ioctl,spath,bnet+/tmp
allow/lock/rpath,wpath,cpath,spath,tpath,exec,ioctl,bnet+/var/cache
allow/lock/bnet+0
allow/lock/bnet+1024-65535
allow/lock/cnet+1024-65535
lock:exec
`;

const QUIET = `# Deny without logging: every default becomes filter (memory: ENOMEM, pid: SIGKILL).
default/all,fs,mem,pid,tpe,segvguard:filter
`;

const CONTAINER =
  `# Every namespace: user, mount, uts, ipc, pid, net, cgroup, time (as the original's).
# SYD_CONTAINER_NET=0 keeps the host's network namespace.
unshare/all:true
unshare/net:\${SYD_CONTAINER_NET:-true}
allow/lpath,npath,rpath+/proc/uptime
`;

const IMMUTABLE =
  `# container, with the system's directories read-only and fresh temporary ones (the original's).
include_profile container
bind+/opt:/opt:ro,exec,symfollow
bind+/usr:/usr:ro,exec,symfollow
bind+/etc:/etc:ro,symfollow
bind+/mnt:/mnt:ro
bind+/srv:/srv:ro
bind+/home:/home:ro
bind+tmpfs:/boot:ro,mode=0,nr_blocks=1,nr_inodes=1
bind+tmpfs:/run:exec,mode=1700,size=16m,nr_inodes=4k
bind+tmpfs:/tmp:exec,mode=1700,size=16m,nr_inodes=4k
bind+tmpfs:/dev/shm:mode=1700,size=16m,nr_inodes=4k
bind+tmpfs:/var/tmp:mode=1700,size=16m,nr_inodes=4k
bind+devpts:/dev/pts:dev,newinstance,ptmxmode=0600,mode=600
bind+sysfs:/sys:ro
`;

/** The built-in profiles by name, in the order \`syd lint --profiles\` lists them. */
export const PROFILES: Readonly<Record<string, Profile>> = {
  off: { doc: "every category off: nothing is judged", text: OFF },
  fs: { doc: "opens of every filesystem type but the kernel's own (bpf, debugfs, ...)", text: FS },
  lib: {
    doc: "every category off, lock:exec: for programs that configure syd themselves",
    text: "include_profile off\nlock:exec\n",
  },
  user: {
    doc: "everyday use: linux and tty, plus $HOME (not its dot files) and /run/user/$UID",
    text: USER,
  },
  paludis: {
    doc: "package builds: read everything, write temporary and build places, loopback",
    text: PALUDIS,
  },
  trace: {
    doc: "every default warn: log every access and allow it, unless a rule denies (what -x uses)",
    text: "default/all,fs,ioctl,tpe:warn\nsandbox/lock:off\n",
  },
  silent: { doc: "the same as quiet", text: "include_profile quiet\n" },
  quiet: { doc: "deny without logging: every default action becomes filter", text: QUIET },
  noipv4: {
    doc: "no IPv4: connect only to IPv6 addresses",
    text: "sandbox/net:on\nallow/net/connect+any6!0-65535\ndeny/net/connect+any4!0-65535\n",
  },
  noipv6: {
    doc: "no IPv6: connect only to IPv4 addresses",
    text: "sandbox/net:on\nallow/net/connect+any4!0-65535\ndeny/net/connect+any6!0-65535\n",
  },
  nomem: {
    doc: "W^X lifted (trace/allow_unsafe_exec_memory:1): for JITs such as node, Java, LuaJIT",
    text: "trace/allow_unsafe_exec_memory:1\n",
  },
  linux: {
    doc: "what most Linux programs need: run and read the system, devices, /proc/self, temp dirs",
    text: LINUX,
  },
  tty: { doc: "terminals: /dev/tty, /dev/ptmx and pseudo-terminals", text: TTY },
  container: {
    doc: "every namespace (user, mount, pid, net, ...); SYD_CONTAINER_NET=0 keeps the host's net",
    text: CONTAINER,
  },
  immutable: {
    doc: "container, with /usr, /etc, /opt, /home, ... read-only and /tmp, /run fresh tmpfs",
    text: IMMUTABLE,
  },
  landlock: {
    doc: "Lock sandboxing (Landlock): run and read the system, write /tmp, /var/tmp, /dev/shm",
    text: LANDLOCK,
  },
};
