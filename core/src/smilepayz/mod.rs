//! SmilePayz pay-in API v2.0 (Peru, PEN).
