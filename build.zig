//! Builds libsyd.so (`zig build`, ReleaseSafe unless `-Doptimize=` says otherwise) with
//! libseccomp linked statically and only `syd_*` exported, and runs the Zig tests
//! (`zig build test`); `zig build launcher` makes the one-file syd's launcher (tools/dist.ts).

const std = @import("std");

const libseccomp_a = "/usr/lib/x86_64-linux-gnu/libseccomp.a";

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.option(std.builtin.OptimizeMode, "optimize", "Optimization mode (default: ReleaseSafe)") orelse .ReleaseSafe;

    const faults = b.option(bool, "faults", "Compile in the test-only fault switch (SYD_FAULT; see ffi/kernel/fault.zig)") orelse false;
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
    const test_step = b.step("test", "Run the Zig unit tests");
    test_step.dependOn(&run_tests.step);

    // The one-file syd's launcher (tools/dist.ts): static, no libc, baseline x86_64, so that the
    // file runs on any x86_64 Linux it is copied to.
    const launcher_module = b.createModule(.{
        .root_source_file = b.path("tools/dist/launcher.zig"),
        .target = b.resolveTargetQuery(.{ .cpu_arch = .x86_64, .os_tag = .linux }),
        .optimize = .ReleaseSafe,
        .strip = true,
    });
    const launcher = b.addExecutable(.{ .name = "syd-launcher", .root_module = launcher_module });
    const install_launcher = b.addInstallArtifact(launcher, .{});
    b.step("launcher", "Build the launcher of the one-file syd (deno task dist)").dependOn(&install_launcher.step);
    const launcher_tests = b.addTest(.{ .root_module = launcher_module });
    test_step.dependOn(&b.addRunArtifact(launcher_tests).step);
}
