//! What the `verifier` bench and the `verifier_callgrind` driver share: the same
//! verifier on the memory store with no limits, the same bindings, a transport that
//! discards, and a poll loop for futures that never wait.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use smsotp::policy::SendLimits;
use smsotp::transport::{Receipt, RecordingTransport, Sms, SmsTransport, TransportError};
use smsotp::{Binding, MemoryStore, PhoneNumber, Purpose, Secret, Verifier};

/// Runs a future that never waits (the memory store's) to completion.
pub fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Accepts every SMS and keeps nothing: the provider call is not what is measured.
#[derive(Debug)]
pub struct Discard;

#[async_trait::async_trait]
impl SmsTransport for Discard {
    async fn send(&self, _: &Sms) -> Result<Receipt, TransportError> {
        Ok(Receipt::new("discard", "0"))
    }
}

pub fn verifier(store: &Arc<MemoryStore>, transport: impl SmsTransport) -> Verifier {
    Verifier::builder(Secret::new(vec![9u8; 32]).unwrap())
        .shared_store(store.clone())
        .transport(transport)
        .send_limits(SendLimits::none())
        .build()
        .unwrap()
}

pub fn binding(i: usize) -> Binding {
    let phone = PhoneNumber::parse_e164(&format!("+8190{:08}", i % 100_000_000)).unwrap();
    Binding::new(phone, Purpose::login())
}

/// Verifiers on one memory store holding `n` pending challenges: one whose SMS are
/// recorded (to read codes back for checks), one whose SMS are discarded (for starts),
/// and a binding none of the `n` uses.
pub struct Rig {
    pub store: Arc<MemoryStore>,
    pub sms: Arc<RecordingTransport>,
    pub recorded: Verifier,
    pub discarding: Verifier,
    pub who: Binding,
}

impl Rig {
    pub fn new(n: usize) -> Self {
        let store = Arc::new(MemoryStore::with_capacity(n + 1_000));
        let sms = Arc::new(RecordingTransport::new());
        let recorded = verifier(&store, sms.clone());
        let discarding = verifier(&store, Discard);
        for i in 0..n {
            run(discarding.start(&binding(i))).unwrap();
        }
        Self {
            store,
            sms,
            recorded,
            discarding,
            who: binding(n + 1),
        }
    }
}
