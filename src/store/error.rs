//! Store failures. Every one of them means "not verified".

/// A store could not do what was asked. The verifier turns every one of these into an
/// error for the app, never into an approval.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A challenge with this id already exists (a collision of random ids, or a replayed
    /// create).
    #[error("a challenge with this id already exists")]
    Conflict,
    /// The store holds as many challenges as it may.
    #[error("the challenge store is full ({capacity} challenges)")]
    Full {
        /// The configured capacity.
        capacity: usize,
    },
    /// The store was configured with something that cannot work (a malformed URL, a
    /// bad key prefix or schema name, a zero timeout): fix the settings; retrying will
    /// not help. The source says which setting.
    #[error("the challenge store is misconfigured: {0}")]
    Config(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The store could not be reached or failed.
    #[error("the challenge store is unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The store did not answer within its time limit.
    #[error("the challenge store timed out")]
    Timeout,
    /// The store answered something that cannot be a valid record.
    #[error("the challenge store returned a malformed answer: {0}")]
    Corrupt(String),
}
