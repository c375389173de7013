//! A one-shot answer that a caller can wait for on its thread or await as
//! a future, without a runtime: how the SQLite writer answers its jobs, so
//! that an async caller needs no blocking thread of its own.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use super::StoreError;

/// The answer, once given, and the task waiting for it, if any.
type State<T> = (Option<Result<T, StoreError>>, Option<Waker>);

struct Slot<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
}

/// The waiting side.
pub(crate) struct Answer<T> {
    slot: Arc<Slot<T>>,
}

/// The answering side. Dropped without answering, it answers that the
/// writer stopped.
pub(crate) struct Answerer<T> {
    slot: Option<Arc<Slot<T>>>,
}

/// A new pair.
pub(crate) fn channel<T>() -> (Answerer<T>, Answer<T>) {
    let slot = Arc::new(Slot {
        state: Mutex::new((None, None)),
        ready: Condvar::new(),
    });
    (
        Answerer {
            slot: Some(slot.clone()),
        },
        Answer { slot },
    )
}

impl<T> Answerer<T> {
    /// Answers (once).
    pub(crate) fn send(mut self, value: Result<T, StoreError>) {
        if let Some(slot) = self.slot.take() {
            deliver(&slot, value);
        }
    }
}

fn deliver<T>(slot: &Slot<T>, value: Result<T, StoreError>) {
    let waker = {
        let mut state = slot.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0 = Some(value);
        state.1.take()
    };
    slot.ready.notify_all();
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl<T> Drop for Answerer<T> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            deliver(
                &slot,
                Err(StoreError::Unavailable("the SQLite writer stopped".into())),
            );
        }
    }
}

impl<T> Answer<T> {
    /// Blocks this thread until answered.
    pub(crate) fn wait(self) -> Result<T, StoreError> {
        let mut state = self
            .slot
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(value) = state.0.take() {
                return value;
            }
            state = self
                .slot
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl<T> Future for Answer<T> {
    type Output = Result<T, StoreError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self
            .slot
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match state.0.take() {
            Some(value) => Poll::Ready(value),
            None => {
                state.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_a_waiting_thread_and_a_future() {
        let (tx, rx) = channel();
        let t = std::thread::spawn(move || rx.wait());
        tx.send(Ok(7));
        assert_eq!(t.join().unwrap().unwrap(), 7);

        let (tx, rx) = channel::<u8>();
        std::thread::spawn(move || tx.send(Ok(9)));
        assert_eq!(pasarela_core::transport::block_on(rx).unwrap(), 9);

        let (tx, rx) = channel::<u8>();
        drop(tx);
        assert!(rx.wait().unwrap_err().is_retryable());
    }
}
