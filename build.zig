//! Builds libsyd.so (`zig build`, ReleaseSafe unless `-Doptimize=` says otherwise) with
//! libseccomp linked statically and only `syd_*` exported, and runs the Zig tests
//! (`zig build test`).

const std = @import("std");

const libseccomp_a = "/usr/lib/x86_64-linux-gnu/libseccomp.a";

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.option(std.builtin.OptimizeMode, "optimize", "Optimization mode (default: ReleaseSafe)") orelse .ReleaseSafe;

    const faults = b.option(bool, "faults", "Compile in the test-only fault switch (SYD_FAULT; see ffi/fault.zig)") orelse false;
    const options = b.addOptions();
    options.addOption(bool, "faults", faults);

    const module = b.createModule(.{
        .root_source_file = b.path("ffi/abi.zig"),
        .target = target,
        .optimize = optimize,
        .link_libc = true,
        .pic = true,
    });
    module.addObjectFile(.{ .cwd_relative = libseccomp_a });
    module.addOptions("build_options", options);

    const lib = b.addLibrary(.{ .name = "syd", .linkage = .dynamic, .root_module = module });
    lib.setVersionScript(b.path("ffi/libsyd.map"));
    b.installArtifact(lib);

    const tests = b.addTest(.{ .root_module = module });
    const run_tests = b.addRunArtifact(tests);
    b.step("test", "Run the Zig unit tests").dependOn(&run_tests.step);
}
