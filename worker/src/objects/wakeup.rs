//! A wake-up signal inside one object: handlers that add work bump a generation, and a loop
//! that is waiting on its attempts also wakes when the generation moves past the one it saw
//! (an object is single-threaded, so plain cells suffice).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// New work for whoever waits.
#[derive(Default)]
pub struct Wakeup {
    generation: Cell<u64>,
    waiting: RefCell<Vec<Waker>>,
}

impl Wakeup {
    /// The current generation, to wait past later.
    pub fn generation(&self) -> u64 {
        self.generation.get()
    }

    /// Something changed: wakes every waiter.
    pub fn wake(&self) {
        self.generation.set(self.generation.get().wrapping_add(1));
        for waker in self.waiting.borrow_mut().drain(..) {
            waker.wake();
        }
    }

    /// Resolves once the generation differs from `seen`.
    pub fn changed(&self, seen: u64) -> Changed<'_> {
        Changed { wakeup: self, seen }
    }
}

/// See [`Wakeup::changed`].
pub struct Changed<'a> {
    wakeup: &'a Wakeup,
    seen: u64,
}

impl Future for Changed<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.wakeup.generation.get() != self.seen {
            return Poll::Ready(());
        }
        let mut waiting = self.wakeup.waiting.borrow_mut();
        if !waiting.iter().any(|w| w.will_wake(cx.waker())) {
            waiting.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
