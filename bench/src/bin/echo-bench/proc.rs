//! Reading a process's CPU time from `/proc`.

/// utime + stime from a `/proc/.../stat` file, in clock ticks.
pub fn cpu_ticks_of(path: &str) -> Result<u64, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    parse_stat_cpu(&text).ok_or_else(|| format!("{path}: cannot read utime and stime"))
}

fn parse_stat_cpu(stat: &str) -> Option<u64> {
    // Fields after the command name (which may hold spaces and parentheses):
    // state is field 3, utime field 14, stime field 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_cpu_skips_a_command_name_with_spaces() {
        let stat = "4242 (echo) srv)) S 1 4242 4242 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 3 0";
        assert_eq!(parse_stat_cpu(stat), Some(22));
        assert_eq!(parse_stat_cpu("4242 (x) S 1"), None);
    }
}
