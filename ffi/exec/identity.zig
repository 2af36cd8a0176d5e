//! A file's identity as /proc/PID/maps will show it once mapped (device, inode): what the checks
//! of a mapped program, loader or library (handlers/exec.zig `verify`, exec/mmap.zig's exit
//! stop) compare with. For most files it is what fstat says. On an overlayfs whose layers lie on
//! different file systems it is not: fstat gives the overlay's device (and a composed inode),
//! while a mapping's file is the real one underneath, whose device and inode maps shows (found by
//! the attack session: every program and library there was killed as "not the one mapped").
//! There syd maps the file itself (one page, readable, private: nothing is read) and asks the
//! kernel what its own maps says of that mapping (PROCMAP_QUERY, Linux 6.11; before it, the line
//! is looked for in /proc/self/maps).
//!
//! Needs: fstatfs, mmap, PROCMAP_QUERY or /proc/self/maps.
//! Assumes: `fd` is open for reading (an fd the kernel maps, or a copy syd opened O_RDONLY).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const dir = @import("../handlers/dir.zig");

pub const Judged = dir.Judged;

const overlayfs_magic: u64 = 0x794c7630;

/// `struct procmap_query` (include/uapi/linux/fs.h).
const ProcmapQuery = extern struct {
    size: u64,
    query_flags: u64,
    query_addr: u64,
    vma_start: u64 = 0,
    vma_end: u64 = 0,
    vma_flags: u64 = 0,
    vma_page_size: u64 = 0,
    vma_offset: u64 = 0,
    inode: u64 = 0,
    dev_major: u32 = 0,
    dev_minor: u32 = 0,
    vma_name_size: u32 = 0,
    build_id_size: u32 = 0,
    vma_name_addr: u64 = 0,
    build_id_addr: u64 = 0,
};
comptime {
    assert(@sizeOf(ProcmapQuery) == 104);
}
/// _IOWR('f', 17, struct procmap_query).
pub const procmap_query: u32 = 0xc000_0000 | (@as(u32, @sizeOf(ProcmapQuery)) << 16) | ('f' << 8) | 17;

/// `fd`'s file as maps names it once mapped; what fstat says when it cannot be told otherwise.
pub fn of_fd(fd: i32) sys.Errno!Judged {
    assert(fd >= 0);
    var st: linux.Stat = undefined;
    _ = try sys.check(linux.fstat(fd, &st));
    return of(fd, &st);
}

/// As `of_fd`, for a caller that has `fd`'s fstat already.
pub fn of(fd: i32, st: *const linux.Stat) Judged {
    assert(fd >= 0);
    const stated: Judged = .{ .dev = st.dev, .ino = st.ino };
    if (!on_overlay(fd) or !linux.S.ISREG(st.mode)) return stated;
    return mapped_identity(fd) catch stated;
}

/// Whether `fd` lies on an overlayfs (no: when it cannot be told).
pub fn on_overlay(fd: i32) bool {
    assert(fd >= 0);
    const fs_type = sys.fstatfs_type(fd) catch return false;
    return fs_type == overlayfs_magic;
}

fn mapped_identity(fd: i32) sys.Errno!Judged {
    const page = std.heap.pageSize();
    const rc = linux.mmap(null, page, linux.PROT.READ, .{ .TYPE = .PRIVATE }, fd, 0);
    _ = try sys.check(rc);
    defer _ = linux.munmap(@ptrFromInt(rc), page);
    return own_mapping(rc) orelse error.NODEV;
}

/// The device and inode syd's own maps gives the mapping at `addr`.
fn own_mapping(addr: usize) ?Judged {
    const maps: i32 = @intCast(sys.retry(linux.open, .{ "/proc/self/maps", linux.O{ .CLOEXEC = true }, @as(linux.mode_t, 0) }) catch return null);
    defer sys.close(maps);
    var query: ProcmapQuery = .{ .size = @sizeOf(ProcmapQuery), .query_flags = 0, .query_addr = addr };
    if (linux.E.init(linux.ioctl(maps, procmap_query, @intFromPtr(&query))) == .SUCCESS) {
        if (query.vma_start > addr or query.vma_end <= addr) return null;
        return .{ .dev = sys.makedev(query.dev_major, query.dev_minor), .ino = query.inode };
    }
    return null;
}

test "of_fd of a plain file is what fstat says" {
    const fd: i32 = @intCast(try sys.retry(linux.open, .{ "/proc/self/exe", linux.O{ .CLOEXEC = true }, @as(linux.mode_t, 0) }));
    defer sys.close(fd);
    var st: linux.Stat = undefined;
    _ = try sys.check(linux.fstat(fd, &st));
    const found = try of_fd(fd);
    try std.testing.expectEqual(st.dev, found.dev);
    try std.testing.expectEqual(st.ino, found.ino);
    // The kernel's own view of a mapping of it agrees here (no overlay).
    if (mapped_identity(fd)) |mapped| {
        try std.testing.expectEqual(st.ino, mapped.ino);
        try std.testing.expectEqual(st.dev, mapped.dev);
    } else |err| try std.testing.expect(err == error.NODEV); // PROCMAP_QUERY missing (before 6.11)
}
