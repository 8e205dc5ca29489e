//! The host platform in Go's naming, as image configs and OCI indexes use it.

/// The host CPU architecture as Go names it (`amd64`, `arm64`, …).
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "arm" => "arm",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "mips64" => "mips64le",
        other => other,
    }
}
