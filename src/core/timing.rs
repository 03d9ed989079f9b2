//! Phase timings for the benchmarks: with `ALERTSIFT_TIMINGS` set, each
//! phase prints its wall time, memory and CPU time on stderr.

/// [`timing`] from `lap`, then restart `lap`: consecutive phases.
pub fn lap(what: &str, lap: &mut std::time::Instant) {
    since(what, *lap);
    *lap = std::time::Instant::now();
}

/// With `ALERTSIFT_TIMINGS` set, print how long a phase took (for benchmarks).
pub fn since(what: &str, since: std::time::Instant) {
    if std::env::var_os("ALERTSIFT_TIMINGS").is_some() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let mem = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
                >> 10
        };
        // CPU time so far (user + system, in clock ticks of 1/100 s), of
        // the calling thread and of the whole process: the difference
        // between two lines of one thread is what that phase cost,
        // whatever else ran beside it; between two lines of the process,
        // what everything running in between cost.
        let ticks = |path: &str| -> f64 {
            let stat = std::fs::read_to_string(path).unwrap_or_default();
            let ticks: u64 = stat
                .rsplit(')')
                .next()
                .map(|rest| {
                    rest.split_whitespace()
                        .skip(11)
                        .take(2)
                        .filter_map(|v| v.parse::<u64>().ok())
                        .sum()
                })
                .unwrap_or(0);
            ticks as f64 / 100.0
        };
        eprintln!(
            "timing: {what}: {:.3}s (rss {} MiB, peak {} MiB, thread cpu {:.2}s, process cpu {:.2}s)",
            since.elapsed().as_secs_f64(),
            mem("VmRSS:"),
            mem("VmHWM:"),
            ticks("/proc/thread-self/stat"),
            ticks("/proc/self/stat"),
        );
    }
}
