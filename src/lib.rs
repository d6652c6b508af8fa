//! # smsotp
//!
//! One-time passcodes sent by SMS, checked safely: confusable-free codes, forgiving
//! input, keyed digests at rest, atomic attempt limits, resends with cooldowns and
//! pluggable stores and transports.
//!
//! ```
//! use smsotp::{Binding, PhoneNumber, Purpose, Region, Secret, Verdict, Verifier};
//! use smsotp::transport::RecordingTransport;
//! use std::sync::Arc;
//!
//! # tokio_test_block_on(async {
//! let sms = Arc::new(RecordingTransport::new());
//! let verifier = Verifier::builder(Secret::generate())
//!     .transport(sms.clone())
//!     .build()?;
//!
//! let phone = PhoneNumber::parse("090-1234-5678", Region::JP)?;
//! let who = Binding::new(phone.clone(), Purpose::login());
//! let pending = verifier.start(&who).await?;
//!
//! let code = sms.last_code(&phone).expect("one SMS was sent");
//! assert_eq!(verifier.check(&pending.id, &who, "ZZZZ22").await?,
//!            Verdict::Rejected { attempts_left: 4 });
//! assert_eq!(verifier.check(&pending.id, &who, &code).await?, Verdict::Approved);
//! // approval consumes the challenge
//! assert_eq!(verifier.check(&pending.id, &who, &code).await?, Verdict::NotFound);
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```
//!
//! ## Features
//!
//! | feature | default | adds |
//! |---|---|---|
//! | *(none)* | yes | [`Verifier`], [`MemoryStore`], console and recording transports, the `Failover`, `CircuitBreaker` and `RouteByCountry` wrappers, TOTP/HOTP, recovery codes |
//! | `redis` | no | `store::RedisStore`: challenges and counters shared by app instances, on one Redis or a Redis Cluster |
//! | `postgres` | no | `store::PostgresStore`: the same in the app's own PostgreSQL (tokio-postgres with a deadpool pool; call `migrate()` at start-up) |
//! | `twilio`, `vonage`, `symworld`, `webhook` | no | one provider adapter each, with its signed-receipt parser (pulls in `http`: reqwest on rustls) |
//! | `vonage-voice` | no | `transport::VonageVoiceTransport`: calls that read the code (RS256 application JWTs) |
//! | `http` | no | the shared HTTP client the adapters use, and `transport::SecretString` |
//! | `retry`, `timeout` | no | the `Retry` (backon policies) and `Timeout` wrappers |
//! | `phonenumber` | no | `PhoneNumber::parse_with_metadata` with libphonenumber's metadata |
//! | `testing` | no | the public store conformance suite, `smsotp::testing` |
//!
//! Items behind a feature say so in these docs.
//!
//! ## Stores and transports
//!
//! | store | for |
//! |---|---|
//! | [`MemoryStore`] | one process (the default); bounded in every table |
//! | `RedisStore` (`redis`) | several instances sharing a Redis or a Redis Cluster; one round trip per operation (a delivery link or report takes two on a cluster) |
//! | `PostgresStore` (`postgres`) | several instances sharing the app's PostgreSQL; one round trip per operation |
//!
//! A store implements the three parts of [`Store`]: [`ChallengeStore`],
//! [`CounterStore`], [`DeliveryStore`]. A transport implements [`SmsTransport`]'s one
//! method.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod challenge;
pub mod clock;
pub mod code;
pub mod digest;
pub mod error;
pub mod events;
mod inline_text;
pub mod message;
pub mod otp;
pub mod phone;
pub mod policy;
pub mod recovery;
pub mod risk;
pub mod store;
pub mod test_numbers;
pub mod transport;
pub mod verifier;

pub use challenge::{
    Binding, ChallengeId, DeliveryStatus, Pending, Phase, Purpose, Status, Verdict,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use code::{Alphabet, Code, CodeSpec};
pub use digest::{KeyId, Keyring, Secret};
pub use error::{ConfigError, Error};
pub use phone::{PhoneError, PhoneNumber, Region};
pub use store::{ChallengeStore, CounterStore, DeliveryStore, MemoryStore, Store};
pub use transport::SmsTransport;
pub use verifier::{Mode, StartOptions, Verifier, VerifierBuilder};

#[cfg(any(test, feature = "testing"))]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
