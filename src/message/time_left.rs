//! How a code's remaining lifetime is said in minutes: one rule for the SMS and for
//! every page or call that repeats it, so they never disagree.

use time::Duration;

/// The whole minutes a code has left, rounded *down*, and never less than 1: a resend
/// 4 min 30 s before expiry says "4 minutes", never promising time the code does not
/// have; the last minute says "1 minute" rather than "0" (and so does a moment past
/// expiry, which no caller should be saying anything about).
///
/// The verifier's SMS uses it for `{minutes}`; an application showing the time left
/// beside the code should use it too, so that the page and the SMS read alike.
///
/// ```
/// use smsotp::message::minutes_left;
/// use time::Duration;
///
/// assert_eq!(minutes_left(Duration::minutes(5)), 5);
/// assert_eq!(minutes_left(Duration::seconds(270)), 4);
/// assert_eq!(minutes_left(Duration::seconds(20)), 1);
/// assert_eq!(minutes_left(Duration::seconds(-3)), 1);
/// ```
#[must_use]
pub fn minutes_left(left: Duration) -> u32 {
    u32::try_from(left.whole_minutes().max(1)).unwrap_or(u32::MAX)
}
