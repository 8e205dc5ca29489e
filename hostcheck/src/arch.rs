//! The two spellings of a CPU architecture: the kernel's (`uname -m`, what `/info` shows) and Go's
//! `GOARCH` (what Docker's `/version` and image platforms use).

/// The architectures `wharfd` supports, in `uname` form.
const SUPPORTED: [&str; 2] = ["x86_64", "aarch64"];

/// The `uname -m` spelling of `arch`, which may be given in either form.
pub(crate) fn uname(arch: &str) -> &str {
    match arch {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        "386" => "i686",
        other => other,
    }
}

/// Go's `GOARCH` spelling of `arch`, which may be given in either form.
pub(crate) fn goarch(arch: &str) -> &str {
    match arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" | "i386" | "i686" => "386",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// Whether `wharfd` supports `arch` (either form).
pub(crate) fn supported(arch: &str) -> bool {
    SUPPORTED.contains(&uname(arch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings() {
        assert_eq!(uname("amd64"), "x86_64");
        assert_eq!(goarch("x86_64"), "amd64");
        assert_eq!(goarch("aarch64"), "arm64");
        assert_eq!(uname("aarch64"), "aarch64");
        assert!(supported("arm64") && supported("x86_64"));
        assert!(!supported("riscv64") && !supported("s390x"));
    }
}
