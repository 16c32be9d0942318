//! The default device fingerprint: a stable machine identifier, hashed.

use sha2::{Digest, Sha256};

/// Domain separation, so the HWID is not the bare SHA-256 of the machine id that other
/// software may also publish.
const CONTEXT: &[u8] = b"keyward-hwid-v1\0";

/// The default HWID of this machine: lowercase hex SHA-256 of a stable machine identifier.
///
/// - Linux and other Unix: `/etc/machine-id`, else `/var/lib/dbus/machine-id`, else
///   `/etc/hostid`;
/// - macOS: the `IOPlatformUUID` (what `ioreg` shows), read with `gethostuuid(3)`;
/// - Windows: the `MachineGuid` of `HKLM\SOFTWARE\Microsoft\Cryptography`, read from the
///   registry's 64-bit view, so a 32-bit process reads the same value as a 64-bit one;
/// - anywhere these are unavailable: the host name, user name, OS and architecture, which
///   is stable but less unique.
///
/// macOS and Windows are read through the `machine-uid` crate, in-process: no helper
/// program is spawned, so a GUI application never flashes a console window. The raw
/// identifier never leaves this function.
pub fn default_hwid() -> String {
    hash(&machine_id().unwrap_or_else(fallback_id))
}

/// Lowercase hex SHA-256 of `id` (with the SDK's context prefix).
pub(crate) fn hash(id: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(CONTEXT);
    hasher.update(id.trim().as_bytes());
    hex::encode(hasher.finalize())
}

fn non_empty(text: String) -> Option<String> {
    let text = text.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

// Files, in this order: machine-uid reads them the other way round, and a device whose
// two files differ would get another HWID, and no longer match its license.
#[cfg(all(unix, not(target_os = "macos")))]
fn machine_id() -> Option<String> {
    ["/etc/machine-id", "/var/lib/dbus/machine-id", "/etc/hostid"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok().and_then(non_empty))
}

#[cfg(any(target_os = "macos", windows))]
fn machine_id() -> Option<String> {
    machine_uid::get().ok().and_then(non_empty)
}

#[cfg(not(any(unix, windows)))]
fn machine_id() -> Option<String> {
    None
}

fn fallback_id() -> String {
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| std::env::var(name).ok())
            .unwrap_or_default()
    };
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .and_then(non_empty)
        .unwrap_or_else(|| var(&["COMPUTERNAME", "HOSTNAME"]));
    format!(
        "{host}|{}|{}|{}",
        var(&["USER", "USERNAME"]),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_hwid_is_stable_sha256_hex() {
        let a = default_hwid();
        assert_eq!(a, default_hwid());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        assert_ne!(hash("a"), hash("b"));
    }
}
