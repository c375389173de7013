//! The test binary's one tracing subscriber: every level, every span's
//! opening and closing with all its fields, formatted as text into memory.
//!
//! A process has one global subscriber, and tests run in parallel on many
//! threads (events on the simulator's and the merchant's threads must be
//! caught too), so every test that reads log lines shares this one: it
//! calls [`record`], runs, and reads [`Recording::text`]. Lines are kept
//! while at least one recording is open; a test's text may hold another
//! test's lines too, so each looks for its own distinctive values.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Sink {
    lines: Arc<Mutex<Vec<u8>>>,
    /// How many recordings are open.
    open: Arc<AtomicUsize>,
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.open.load(Ordering::SeqCst) > 0 {
            self.lines.lock().unwrap().extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sink() -> &'static Sink {
    static SINK: OnceLock<Sink> = OnceLock::new();
    SINK.get_or_init(|| {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_target(true)
            .with_thread_names(true)
            .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect(
            "another test of this binary installed a global subscriber: use capture::record \
             instead, or the capture misses lines",
        );
        sink
    })
}

/// An open recording: lines are kept until it (and every other open one)
/// is dropped.
pub struct Recording {
    sink: &'static Sink,
    /// Where this recording's lines begin in the shared buffer.
    from: usize,
}

/// Starts recording every line, from every thread.
pub fn record() -> Recording {
    let sink = sink();
    let lines = sink.lines.lock().unwrap();
    sink.open.fetch_add(1, Ordering::SeqCst);
    Recording {
        sink,
        from: lines.len(),
    }
}

impl Recording {
    /// The lines written since this recording began (other tests' lines
    /// included).
    pub fn text(&self) -> String {
        let lines = self.sink.lines.lock().unwrap();
        String::from_utf8_lossy(&lines[self.from..]).into_owned()
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        // Under the buffer's lock, as `record` counts: nobody starts
        // between the count and the clearing.
        let mut lines = self.sink.lines.lock().unwrap_or_else(|e| e.into_inner());
        if self.sink.open.fetch_sub(1, Ordering::SeqCst) == 1 {
            // The last one out: nobody reads what came before.
            lines.clear();
        }
    }
}
