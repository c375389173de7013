//! The process's own resource use, from Linux's `/proc` (elsewhere: not
//! known): CPU time of every thread, living or ended, and the peak resident
//! set, which can be reset between runs.

use std::time::Duration;

/// Linux reports CPU times in clock ticks of `USER_HZ`, 100 per second on
/// every architecture the kernel's user ABI fixes it for.
const TICKS_PER_SEC: f64 = 100.0;

/// User plus system CPU time of the whole process so far (10 ms steps).
pub(super) fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so
    // fields are counted after the last `)`; utime and stime are the 14th
    // and 15th fields, the 12th and 13th after it.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some(Duration::from_secs_f64((user + system) / TICKS_PER_SEC))
}

/// Resets the peak resident set size to the current one, so that the next
/// [`peak_rss_mib`] is the peak of what ran in between. Whether it worked.
pub(super) fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident set size (`VmHWM`), in MiB.
pub(super) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn linux_reports_cpu_time_and_peak_memory() {
        assert!(cpu_time().is_some());
        let peak = peak_rss_mib().unwrap();
        assert!(peak > 0.0);
        assert!(reset_peak_rss());
        assert!(peak_rss_mib().unwrap() > 0.0);
    }
}
