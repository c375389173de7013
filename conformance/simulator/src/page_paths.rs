//! Where the hosted payment pages and the simulator's own pages live: the
//! paths the gateway handlers put in the URLs they hand out, the pages
//! serve and the dashboard links to.

/// The simulator's own pages and control API (the dashboard is its root).
pub(crate) const CONTROL: &str = "/_simulator/";

/// Where the Monnet payment page of an operation lives: `{MONNET_PAGE}{payinID}`.
pub(crate) const MONNET_PAGE: &str = "/monnet/pay/";
/// The SmilePayz cashier's root (the `paymentUrl` path).
pub(crate) const CASHIER: &str = "/cashier";
/// Where the cashier page of an order lives: `{CASHIER_ORDER}{tradeNo}`.
pub(crate) const CASHIER_ORDER: &str = "/cashier/order/";
