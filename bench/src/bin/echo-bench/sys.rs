//! The two libc calls the harness needs: the open-files limit and the
//! clock-tick rate of `/proc/PID/stat`.
#![allow(unsafe_code)]

/// The open-files limit after [`raise_nofile`]: the soft and hard values.
#[derive(Debug, Clone, Copy)]
pub struct NoFile {
    pub soft: u64,
    pub hard: u64,
}

/// Raises this process's soft RLIMIT_NOFILE to `want` (at most the hard
/// limit); child servers inherit it.
pub fn raise_nofile(want: u64) -> Result<NoFile, String> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` through a valid, exclusive pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(format!(
            "getrlimit(RLIMIT_NOFILE) failed: {}",
            std::io::Error::last_os_error()
        ));
    }
    let hard = lim.rlim_max;
    let target = want.min(hard);
    if lim.rlim_cur < target {
        lim.rlim_cur = libc::rlim_t::try_from(target).unwrap_or(lim.rlim_max);
        // SAFETY: setrlimit reads one initialised `rlimit` through a valid pointer.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            return Err(format!(
                "setrlimit(RLIMIT_NOFILE, {target}) failed: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(NoFile {
        soft: lim.rlim_cur,
        hard,
    })
}

/// Clock ticks per second, the unit of utime and stime in `/proc/PID/stat`.
pub fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf takes an integer and touches no memory of ours.
    let v = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if v > 0 {
        v as u64
    } else {
        100
    }
}
