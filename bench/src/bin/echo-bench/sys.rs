//! The libc calls the harness needs: the open-files limit, the clock-tick
//! rate of `/proc/PID/stat`, and CPU affinity (server on one CPU, load
//! generator on another).
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

fn cpu_set(cpu: usize) -> libc::cpu_set_t {
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET writes one bit inside `set` (cpu < CPU_SETSIZE is
    // checked by the callers through `nproc`).
    unsafe { libc::CPU_SET(cpu, &mut set) };
    set
}

fn set_affinity(tid: libc::pid_t, cpu: usize) -> std::io::Result<()> {
    let set = cpu_set(cpu);
    // SAFETY: reads one initialised cpu_set_t through a valid pointer.
    let rc = unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Makes `cmd`'s process start on `cpu` only (set in the child between fork
/// and exec, so every thread it makes inherits it, and runtimes that size
/// their thread pools by the CPUs they may use see one).
pub fn pin_command(cmd: &mut std::process::Command, cpu: usize) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and makes one
    // system call (sched_setaffinity), which is async-signal-safe; it
    // allocates nothing (the set is built before the fork).
    let set = cpu_set(cpu);
    unsafe {
        cmd.pre_exec(move || {
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

/// Pins every thread of this process to `cpu` (threads made later inherit
/// it). Returns how many threads were pinned.
pub fn pin_self(cpu: usize) -> Result<usize, String> {
    let dir = std::fs::read_dir("/proc/self/task").map_err(|e| format!("/proc/self/task: {e}"))?;
    let mut n = 0;
    for entry in dir.flatten() {
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|t| t.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        set_affinity(tid, cpu)
            .map_err(|e| format!("sched_setaffinity(thread {tid}, CPU {cpu}): {e}"))?;
        n += 1;
    }
    Ok(n)
}

/// The CPUs a process may run on (`Cpus_allowed_list` of /proc/PID/status).
pub fn cpus_allowed(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(|v| v.trim().to_owned())
}
