//! The process's open-file limit, and the connection cap below it.

/// Files kept free of connections, at least: the database and its WAL and shared-memory
/// files, the log, the runtime's own descriptors, the listener.
const RESERVED_FILES: u64 = 64;

/// The cap when the open-file limit is unlimited or unknown.
const CAP_WITHOUT_FILE_LIMIT: usize = 65_536;

/// The soft `RLIMIT_NOFILE` of the process; `None` when unlimited or unknown.
pub(crate) fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The most connections to hold at once: `requested` (0 for no wish), never more than
/// the file limit less a reserve (an eighth of it, at least [`RESERVED_FILES`]), so that
/// the database and new sockets can still be opened.
pub(crate) fn connection_cap(file_limit: Option<u64>, requested: usize) -> usize {
    let most = file_limit.map_or(CAP_WITHOUT_FILE_LIMIT, |limit| {
        let reserve = (limit / 8).max(RESERVED_FILES);
        usize::try_from(limit.saturating_sub(reserve)).unwrap_or(usize::MAX)
    });
    match requested {
        0 => most,
        wanted => wanted.min(most),
    }
    .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_file_limit() {
        assert_eq!(connection_cap(Some(1024), 0), 896);
        assert_eq!(connection_cap(Some(1024), 100), 100);
        assert_eq!(connection_cap(Some(1024), 5000), 896);
        assert_eq!(connection_cap(Some(100), 0), 36);
        assert_eq!(connection_cap(Some(10), 0), 1);
        assert_eq!(connection_cap(None, 0), CAP_WITHOUT_FILE_LIMIT);
    }
}
