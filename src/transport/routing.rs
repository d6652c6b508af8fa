//! Choosing a route by the destination's country calling code.

use std::collections::HashMap;

use super::{Provider, Receipt, Sms, SmsTransport, TransportError};

/// Sends each SMS through the route registered for its destination's country calling
/// code, or through the default route.
///
/// ```
/// use smsotp::transport::{RecordingTransport, RouteByCountry};
///
/// let domestic = RecordingTransport::new();      // e.g. SymworldTransport
/// let international = RecordingTransport::new(); // e.g. TwilioTransport
/// let transport = RouteByCountry::new(international).route(81, domestic);
/// # let _ = transport;
/// ```
#[derive(Debug)]
pub struct RouteByCountry {
    routes: HashMap<u16, Box<dyn SmsTransport>>,
    default: Box<dyn SmsTransport>,
}

impl RouteByCountry {
    /// Sends everything through `default` until routes are added.
    #[must_use]
    pub fn new(default: impl SmsTransport) -> Self {
        Self {
            routes: HashMap::new(),
            default: Box::new(default),
        }
    }

    /// Sends numbers with this calling code (`81` for Japan) through `transport`,
    /// replacing any route registered for it.
    #[must_use]
    pub fn route(mut self, calling_code: u16, transport: impl SmsTransport) -> Self {
        self.routes.insert(calling_code, Box::new(transport));
        self
    }

    /// The route registered for exactly `calling_code`, if any.
    #[must_use]
    pub fn route_for(&self, calling_code: u16) -> Option<&dyn SmsTransport> {
        self.routes.get(&calling_code).map(AsRef::as_ref)
    }

    /// The route for every number no registered route takes.
    #[must_use]
    pub fn default_route(&self) -> &dyn SmsTransport {
        self.default.as_ref()
    }

    /// Gives the routes back: the default one, and the others by calling code.
    #[must_use]
    pub fn into_parts(self) -> (Box<dyn SmsTransport>, HashMap<u16, Box<dyn SmsTransport>>) {
        (self.default, self.routes)
    }

    fn pick(&self, sms: &Sms) -> &dyn SmsTransport {
        let to = sms.to();
        if let Some(route) = self.routes.get(&to.calling_code()) {
            return route.as_ref();
        }
        // Calling codes are prefix-free (ITU-T E.164), so a code that the number's
        // digits start with is its calling code. This keeps routing right even where
        // `calling_code()` cannot tell a code's length.
        let digits = to.as_e164().trim_start_matches('+');
        self.routes
            .iter()
            .find(|(code, _)| digits.starts_with(&code.to_string()))
            .map_or(self.default.as_ref(), |(_, route)| route.as_ref())
    }
}

#[deny(clippy::missing_trait_methods)]
#[async_trait::async_trait]
impl SmsTransport for RouteByCountry {
    /// Several providers, so not one name: a failed route is avoided by each of its
    /// routes instead.
    fn provider_name(&self) -> Option<Provider> {
        None
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        self.pick(sms).send(sms).await
    }
}
