//! The executors the load rows run N pay-ins on: tasks on tokio, tasks on
//! async-std, or a pool of threads; each returns every pay-in's latency (from
//! the moment all were issued) or error, and the wall time of the run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::flow::PayIn;

/// The outcome of driving N pay-ins: each one's latency or error, and the
/// wall time of the whole run.
pub(super) struct Run {
    pub(super) results: Vec<Result<Duration, String>>,
    pub(super) elapsed: Duration,
}

/// Runs N pay-ins at once on some executor.
pub(super) trait Driver {
    fn drive<P: PayIn>(&self, flow: Arc<P>, n: usize) -> Run;
}

/// Tasks on a multi-threaded tokio runtime.
pub(super) struct Tokio(pub(super) tokio::runtime::Runtime);

impl Driver for Tokio {
    fn drive<P: PayIn>(&self, flow: Arc<P>, n: usize) -> Run {
        let start = Instant::now();
        let results = self.0.block_on(async {
            let tasks: Vec<_> = (0..n)
                .map(|i| {
                    let flow = flow.clone();
                    tokio::spawn(async move { flow.run(i).await.map(|()| start.elapsed()) })
                })
                .collect();
            let mut out = Vec::with_capacity(n);
            for task in tasks {
                out.push(
                    task.await
                        .unwrap_or_else(|e| Err(format!("pay-in task: {e}"))),
                );
            }
            out
        });
        Run {
            results,
            elapsed: start.elapsed(),
        }
    }
}

/// Tasks on async-std's executor.
pub(super) struct AsyncStd;

impl Driver for AsyncStd {
    fn drive<P: PayIn>(&self, flow: Arc<P>, n: usize) -> Run {
        let start = Instant::now();
        let results = async_std::task::block_on(async {
            let tasks: Vec<_> = (0..n)
                .map(|i| {
                    let flow = flow.clone();
                    async_std::task::spawn(
                        async move { flow.run(i).await.map(|()| start.elapsed()) },
                    )
                })
                .collect();
            let mut out = Vec::with_capacity(n);
            for task in tasks {
                out.push(task.await);
            }
            out
        });
        Run {
            results,
            elapsed: start.elapsed(),
        }
    }
}

/// A pool of threads, each taking the next pay-in when done with one.
pub(super) struct Threads(pub(super) usize);

impl Driver for Threads {
    fn drive<P: PayIn>(&self, flow: Arc<P>, n: usize) -> Run {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let start = Instant::now();
        let next = AtomicUsize::new(0);
        let mut results: Vec<Result<Duration, String>> =
            (0..n).map(|_| Err("not run".to_owned())).collect();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..self.0.min(n).max(1))
                .map(|_| {
                    let (flow, next) = (&flow, &next);
                    scope.spawn(move || {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= n {
                                return done;
                            }
                            let outcome = pasarela_core::transport::block_on(flow.run(i));
                            done.push((i, outcome.map(|()| start.elapsed())));
                        }
                    })
                })
                .collect();
            for worker in workers {
                if let Ok(done) = worker.join() {
                    for (i, outcome) in done {
                        if let Some(slot) = results.get_mut(i) {
                            *slot = outcome;
                        }
                    }
                }
            }
        });
        Run {
            results,
            elapsed: start.elapsed(),
        }
    }
}
