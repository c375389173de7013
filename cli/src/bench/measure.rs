//! Timing: an operation run in batches for a fixed time, on one thread or
//! several, alone or interleaved with the operations it is compared with.

use std::time::{Duration, Instant};

/// Runs `op` for `warm_up`, then in batches of about a millisecond until
/// `duration` has passed; returns operations per second.
pub(super) fn measure(
    op: &mut dyn FnMut() -> Result<(), String>,
    warm_up: Duration,
    duration: Duration,
) -> Result<f64, String> {
    let start = Instant::now();
    let mut warm_ops: u64 = 0;
    while warm_ops == 0 || start.elapsed() < warm_up {
        op()?;
        warm_ops += 1;
    }
    let per_op = start.elapsed().as_secs_f64() / warm_ops as f64;
    // About 1 ms per batch keeps reading the clock out of the numbers.
    let batch = ((1e-3 / per_op.max(1e-9)) as u64).clamp(1, 100_000);
    let start = Instant::now();
    let mut done: u64 = 0;
    loop {
        for _ in 0..batch {
            op()?;
        }
        done += batch;
        let elapsed = start.elapsed();
        if elapsed >= duration {
            return Ok(done as f64 / elapsed.as_secs_f64());
        }
    }
}

/// Runs `op` on `threads` threads at once (started together), each for
/// `duration` after its warm-up; returns the sum of their rates.
pub(super) fn measure_parallel(
    threads: usize,
    op: &SharedOp,
    warm_up: Duration,
    duration: Duration,
) -> Result<f64, String> {
    let barrier = std::sync::Barrier::new(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (op, barrier) = (op.clone(), &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    measure(&mut || op(), warm_up, duration)
                })
            })
            .collect();
        let mut total = 0.0;
        for handle in handles {
            total += handle
                .join()
                .map_err(|_| "a benchmark thread panicked".to_owned())??;
        }
        Ok(total)
    })
}

/// An operation several threads run at once.
pub(super) type SharedOp = std::sync::Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// One measured operation.
pub(super) struct Operation {
    pub(super) name: &'static str,
    pub(super) backend: Option<&'static str>,
    pub(super) run: Box<dyn FnMut() -> Result<(), String>>,
    /// Operations with the same group, next to each other, are measured
    /// interleaved (baselines and the operation they are baselines of, when
    /// all share a noisy resource such as a loopback server on two cores).
    pub(super) group: Option<&'static str>,
    /// Measured on this many threads at once, sharing what `run` shares.
    pub(super) parallel: Option<(usize, SharedOp)>,
}

impl Operation {
    pub(super) fn new(
        name: &'static str,
        backend: Option<&'static str>,
        run: impl FnMut() -> Result<(), String> + 'static,
    ) -> Self {
        Self {
            name,
            backend,
            run: Box::new(run),
            group: None,
            parallel: None,
        }
    }

    /// `op` measured on `threads` threads at once.
    pub(super) fn parallel(
        name: &'static str,
        backend: Option<&'static str>,
        threads: usize,
        op: impl Fn() -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        let shared: SharedOp = std::sync::Arc::new(op);
        let run = shared.clone();
        Self {
            name,
            backend,
            run: Box::new(move || run()),
            group: None,
            parallel: Some((threads, shared)),
        }
    }

    pub(super) fn in_group(mut self, group: &'static str) -> Self {
        self.group = Some(group);
        self
    }
}

/// Measures a group of operations against the first one, its baseline, in
/// `ROUNDS` short rounds (`1.5 × duration / ROUNDS`, at least 10 ms each,
/// after a warm-up), the order reversed every other round so that each pair of
/// measurements is back to back. The baseline's rate is the median of its
/// rounds; every other operation's rate is that times the median, over the
/// rounds, of its rate relative to the baseline's in the same round.
///
/// Why: a loopback exchange on a virtual machine is fast or slow by whole
/// stretches (how quickly an idle virtual core wakes up), so rates taken
/// apart, or the best round of each, compare different stretches; the
/// ratio within a round compares like with like, and the median drops the
/// rounds a switch of stretch (or a burst of other work) fell into.
pub(super) fn measure_group(
    group: &mut [Operation],
    warm_up: Duration,
    duration: Duration,
) -> Result<Vec<f64>, String> {
    const ROUNDS: u32 = 150;
    for op in group.iter_mut() {
        measure(&mut *op.run, warm_up, Duration::from_millis(1))?;
    }
    let round = (duration * 3 / 2 / ROUNDS).max(Duration::from_millis(10));
    let mut rates: Vec<Vec<f64>> = Vec::new();
    for r in 0..ROUNDS {
        let mut order: Vec<usize> = (0..group.len()).collect();
        if r % 2 == 1 {
            order.reverse();
        }
        let mut this_round = vec![0f64; group.len()];
        for i in order {
            this_round[i] = measure(&mut *group[i].run, Duration::ZERO, round)?;
        }
        rates.push(this_round);
    }
    Ok(relative_medians(&rates))
}

/// From rounds of rates (`rates[round][op]`, op 0 the baseline): the
/// baseline's median rate, and each other op's median ratio to the baseline
/// within a round, times that.
fn relative_medians(rates: &[Vec<f64>]) -> Vec<f64> {
    let ops = rates.first().map_or(0, Vec::len);
    let base = median(rates.iter().map(|r| r[0]).collect());
    (0..ops)
        .map(|i| {
            if i == 0 {
                base
            } else {
                base * median(rates.iter().map(|r| r[i] / r[0]).collect())
            }
        })
        .collect()
}

/// The median (the mean of the middle two for an even count; 0 if empty).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Measures every operation in order (groups interleaved, parallel ones on
/// their threads) and returns each with its rate in operations per second.
pub(super) fn measure_all(
    ops: Vec<Operation>,
    warm_up: Duration,
    duration: Duration,
) -> Result<Vec<(Operation, f64)>, String> {
    let mut measured: Vec<(Operation, f64)> = Vec::new();
    let mut ops = ops.into_iter().peekable();
    while let Some(mut op) = ops.next() {
        if let Some((threads, shared)) = op.parallel.clone() {
            let rate = measure_parallel(threads, &shared, warm_up, duration)
                .map_err(|e| format!("{} failed: {e}", op.name))?;
            measured.push((op, rate));
            continue;
        }
        match op.group {
            None => {
                let rate = measure(&mut *op.run, warm_up, duration)
                    .map_err(|e| format!("{} failed: {e}", op.name))?;
                measured.push((op, rate));
            }
            Some(group) => {
                let mut members = vec![op];
                while let Some(next) = ops.next_if(|n| n.group == Some(group)) {
                    members.push(next);
                }
                let rates = measure_group(&mut members, warm_up, duration)
                    .map_err(|e| format!("{group} failed: {e}"))?;
                measured.extend(members.into_iter().zip(rates));
            }
        }
    }
    Ok(measured)
}

/// The header line of the human-readable operation table.
pub(super) fn print_header() {
    println!(
        "{:<36} {:<8} {:>14} {:>12}",
        "operation", "backend", "ops/s", "µs/op"
    );
}

/// Prints measured operations: one JSON object per line
/// (`{"op", "backend", ["threads",] "ops_per_sec"}`), or table rows.
pub(super) fn print_rows(measured: &[(Operation, f64)], json: bool) {
    for (op, rate) in measured {
        let rounded = (rate * 10.0).round() / 10.0;
        let threads = op.parallel.as_ref().map(|(n, _)| *n);
        if json {
            // Keys in the contract's order (serde_json's map would sort them);
            // `threads` only on the rows measured on several threads.
            let threads = threads
                .map(|n| format!("\"threads\":{n},"))
                .unwrap_or_default();
            println!(
                "{{\"op\":{},\"backend\":{},{threads}\"ops_per_sec\":{}}}",
                serde_json::json!(op.name),
                serde_json::json!(op.backend),
                serde_json::json!(rounded)
            );
        } else {
            // µs/op of one thread's call, for a multi-threaded row too.
            let per_op = 1e6 / rate * threads.unwrap_or(1) as f64;
            let note = threads
                .map(|n| format!("  ({n} threads)"))
                .unwrap_or_default();
            println!(
                "{:<36} {:<8} {:>14.1} {:>12.2}{note}",
                op.name,
                op.backend.unwrap_or("-"),
                rounded,
                per_op
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_rates_are_the_baselines_median_times_the_median_ratio() {
        // Round 2 caught a slow stretch for both; round 3 switched stretch
        // between the two measurements.
        let rates = vec![
            vec![100.0, 95.0],
            vec![102.0, 97.0],
            vec![50.0, 47.5],
            vec![100.0, 200.0],
            vec![98.0, 93.1],
        ];
        let got = relative_medians(&rates);
        assert_eq!(got[0], 100.0);
        assert!((got[1] - 95.0).abs() < 1e-9, "{got:?}");
        assert_eq!(median(vec![3.0, 1.0, 2.0, 10.0]), 2.5);
        assert_eq!(median(Vec::new()), 0.0);
    }
}
