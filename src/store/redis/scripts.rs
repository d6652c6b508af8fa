//! The Lua scripts behind each store operation. Redis runs a script atomically: no other
//! command interleaves, so each script is one indivisible step of the store contract.
//!
//! Each script is sent as `EVALSHA` (built in one command buffer, see `conn.rs`); when
//! the server does not know it (after a restart, `SCRIPT FLUSH` or a failover) the store
//! loads it and retries, and [`RedisStoreBuilder::build`](super::RedisStoreBuilder::build)
//! loads them all up front so the first operations are one round trip too.

use std::sync::LazyLock;

use redis::Script;

/// One script: its source (for `SCRIPT LOAD`) and its invoker (for `EVALSHA`).
pub(super) struct Lua {
    pub(super) source: &'static str,
    pub(super) script: LazyLock<Script>,
}

macro_rules! lua {
    ($name:ident, $file:literal) => {
        pub(super) static $name: Lua = Lua {
            source: include_str!($file),
            script: LazyLock::new(|| Script::new(include_str!($file))),
        };
    };
}

lua!(CREATE, "create.lua");
lua!(CHECK, "check.lua");
lua!(RESEND, "resend.lua");
lua!(STATUS, "status.lua");
lua!(RESERVE, "reserve.lua");
lua!(RELEASE, "release.lua");
lua!(COUNTS, "counts.lua");
lua!(LINK, "link.lua");
lua!(DELIVERY, "delivery.lua");

/// Every script, for loading at start-up.
pub(super) static ALL: [&Lua; 9] = [
    &CREATE, &CHECK, &RESEND, &STATUS, &RESERVE, &RELEASE, &COUNTS, &LINK, &DELIVERY,
];

/// The error code scripts use for a record they cannot make sense of.
pub(super) const CORRUPT_CODE: &str = "SMSOTP_CORRUPT";
